import { defineConfig } from 'vite';

// A static page: `npm run build` writes dist/, which any web server can serve; the page talks to
// the Daya node whose URL it is given (the field at the top, or `?node=` in its address).
export default defineConfig({
	build: {
		target: 'es2022',
		chunkSizeWarningLimit: 2048,
		rollupOptions: {
			onwarn(warning, warn) {
				// @polkadot's packages mark calls pure where Rollup cannot use the mark: harmless.
				if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
				warn(warning);
			},
		},
	},
	preview: { host: '127.0.0.1', port: 8088 },
	server: { host: '127.0.0.1', port: 8088 },
});
