//! The `daya-executor` binary's settings: each from a flag, a `DAYA_EXECUTOR_*` variable or the
//! file, in that order, checked with `serve --check`; bad ones refused by name.

use std::process::Command;

use serde_json::Value;

/// Runs `daya-executor serve --check` with `args` and `env` (and no other `DAYA_EXECUTOR_*`
/// variable): the exit code, standard output and standard error.
fn check(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
	let mut command = Command::new(env!("CARGO_BIN_EXE_daya-executor"));
	command.args(["serve", "--check"]).args(args);
	for (key, _) in std::env::vars() {
		if key.starts_with("DAYA_EXECUTOR_") {
			command.env_remove(key);
		}
	}
	command.envs(env.iter().copied());
	let out = command.output().unwrap();
	(
		out.status.code().unwrap_or(-1),
		String::from_utf8_lossy(&out.stdout).into_owned(),
		String::from_utf8_lossy(&out.stderr).into_owned(),
	)
}

fn resolved(args: &[&str], env: &[(&str, &str)]) -> Value {
	let (code, out, err) = check(args, env);
	assert_eq!(code, 0, "{err}");
	serde_json::from_str(&out).unwrap()
}

#[test]
fn a_flag_wins_over_its_variable_which_wins_over_the_file() {
	let dir = tempfile::tempdir().unwrap();
	let file = dir.path().join("executor.toml");
	std::fs::write(
		&file,
		"listen = \"127.0.0.1:7001\"\nmodels = [\"/models/dev\"]\nqueue = 3\nmax_batch = 2\n\
		 max_waiting = 9\n",
	)
	.unwrap();
	let file = file.to_str().unwrap();

	let r = resolved(&["--config", file], &[]);
	assert_eq!(r["listen"], "127.0.0.1:7001");
	assert_eq!(r["queue"], 3);
	assert_eq!(r["max_batch"], 2);
	assert_eq!(r["max_waiting"], 9);
	assert_eq!(r["backend"]["models"][0]["path"], "/models/dev");
	assert_eq!(r["api_key"], false);

	let env = [("DAYA_EXECUTOR_MAX_BATCH", "4"), ("DAYA_EXECUTOR_QUEUE", "5")];
	let r = resolved(&["--config", file], &env);
	assert_eq!((r["max_batch"].as_u64(), r["queue"].as_u64()), (Some(4), Some(5)));

	let r = resolved(&["--config", file, "--max-batch", "6"], &env);
	assert_eq!((r["max_batch"].as_u64(), r["queue"].as_u64()), (Some(6), Some(5)));

	// Several models from one variable; an empty variable is no setting.
	let r =
		resolved(&[], &[("DAYA_EXECUTOR_MODELS", "/a,x=/b.gguf"), ("DAYA_EXECUTOR_LISTEN", "")]);
	assert_eq!(r["backend"]["models"][1]["name"], "x");
	assert_eq!(r["listen"], "127.0.0.1:8090");
	let r = resolved(&["--model", "/a", "--corrupt-outputs"], &[]);
	assert_eq!(r["corrupt_outputs"], true);
	let r = resolved(&["--model", "/a"], &[("DAYA_EXECUTOR_CORRUPT_OUTPUTS", "false")]);
	assert_eq!(r["corrupt_outputs"], false);
}

#[test]
fn bad_settings_are_refused_by_name() {
	let dir = tempfile::tempdir().unwrap();
	let unknown = dir.path().join("unknown.toml");
	std::fs::write(&unknown, "models = [\"/m\"]\ncolour = \"red\"\n").unwrap();
	let wrong_type = dir.path().join("wrong.toml");
	std::fs::write(&wrong_type, "models = [\"/m\"]\nmax_batch = \"many\"\n").unwrap();
	let cases: [(&[&str], &[(&str, &str)], &str); 6] = [
		(
			&["--model", "/m"],
			&[("DAYA_EXECUTOR_MAX_BATCH", "lots")],
			"variable DAYA_EXECUTOR_MAX_BATCH",
		),
		(&["--model", "/m", "--queue", "many"], &[], "--queue"),
		(&["--model", "/m", "--max-batch", "0"], &[], "max_batch: must be at least 1"),
		(&["--config", unknown.to_str().unwrap()], &[], "colour"),
		(&["--config", wrong_type.to_str().unwrap()], &[], "max_batch"),
		(&[], &[], "no model"),
	];
	for (args, env, named) in cases {
		let (code, out, err) = check(args, env);
		assert_eq!(code, 2, "{args:?} {env:?}: {out}{err}");
		assert!(err.contains(named), "{args:?} {env:?}: {err}");
		if env.is_empty() {
			assert!(!err.contains("environment variable"), "{err}");
		}
	}
}
