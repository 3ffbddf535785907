//! The operator's scripts, driven as a person drives them: a real shell in a subprocess.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A PATH with `dirname` alone (which tools.sh needs to find the project): no C compiler, so its
/// first check fails.
fn path_without_a_compiler() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("macie-invite-nocc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dirname = ["/usr/bin/dirname", "/bin/dirname"]
        .into_iter()
        .find(|path| Path::new(path).exists())
        .expect("dirname");
    let link = dir.join("dirname");
    if !link.exists() {
        std::os::unix::fs::symlink(dirname, &link).unwrap();
    }
    dir
}

#[test]
fn sourcing_tools_sh_in_an_interactive_shell_never_ends_it_when_a_check_fails() {
    let output = Command::new("/bin/bash")
        .args([
            "-i",
            "-c",
            ". scripts/tools.sh; echo \"status $?\"; echo the-shell-goes-on",
        ])
        .current_dir(ROOT)
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .env("PATH", path_without_a_compiler())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no C compiler (cc)"), "{stderr}");
    assert!(stdout.contains("status 1"), "{stdout}");
    assert!(stdout.contains("the-shell-goes-on"), "{stdout}");
}

#[test]
fn running_tools_sh_as_a_command_exits_non_zero_when_a_check_fails() {
    let status = Command::new("/bin/bash")
        .args(["scripts/tools.sh"])
        .current_dir(ROOT)
        .env_clear()
        .env("PATH", path_without_a_compiler())
        .output()
        .expect("bash runs")
        .status;
    assert_eq!(status.code(), Some(1));
}
