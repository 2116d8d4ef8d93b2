//! The node and its workers carry the same version and commit: the node refuses workers of
//! another build.

fn main() {
	substrate_build_script_utils::generate_cargo_keys();
	substrate_build_script_utils::rerun_if_git_head_changed();
}
