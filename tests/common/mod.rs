//! Shared by the integration tests that run the binary.

use std::process::Command;

/// Runs flowtop with no config file in reach; returns (exit code, stdout, stderr).
pub fn flowtop(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flowtop"))
        .args(args)
        .env_remove("FLOWTOP_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-flowtop-test")
        .output()
        .expect("run flowtop");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}
