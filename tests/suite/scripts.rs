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

/// scripts/run-local.sh with `event` and `settings`: its exit code, standard output and error.
fn run_local(event: &str, settings: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let output = Command::new("bash")
        .arg("scripts/run-local.sh")
        .arg(event)
        .current_dir(ROOT)
        .envs(settings.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn run_local_checks_its_own_settings_and_the_event_before_anything_starts() {
    for (name, value) in [
        ("RETRY_ROUNDS", "abc"),
        ("RETRY_ROUNDS", "-1"),
        ("RETRY_BASE_DELAY_SECONDS", "x"),
    ] {
        let (status, stdout, stderr) =
            run_local("events/create-account-result.json", &[(name, value)]);
        assert_eq!(status, Some(2), "{name}={value}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "setting {name} is invalid: expected a whole number"
            )),
            "{stderr}"
        );
        assert!(
            !stderr.contains("stand-ins:"),
            "something started: {stderr}"
        );
        assert_eq!(stdout, "");
    }
    let bad = std::env::temp_dir().join(format!("not-json-{}.json", std::process::id()));
    std::fs::write(&bad, "{\"source\": ").unwrap();
    let (status, _, stderr) = run_local(bad.to_str().unwrap(), &[]);
    assert_eq!(status, Some(2));
    assert!(
        stderr.contains(&format!("{} is not JSON", bad.display())),
        "{stderr}"
    );
    assert!(
        !stderr.contains("stand-ins:"),
        "something started: {stderr}"
    );
}

#[test]
fn run_locals_standard_output_is_the_answer_alone_and_a_blank_region_list_means_the_default() {
    // The check's answer pipes as JSON, and the exit status agrees with its "ok".
    let (status, stdout, stderr) = run_local("events/manual-check.json", &[]);
    let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!("standard output is not JSON ({error}): {stdout}\n{stderr}")
    });
    let ok = answer["ok"].as_bool().unwrap();
    assert_eq!(status == Some(0), ok, "{stderr}");

    // A blank MACIE_REGIONS: the function and what the script prints agree on both regions.
    let (status, stdout, stderr) = run_local(
        "events/create-account-result.json",
        &[("MACIE_REGIONS", " ")],
    );
    assert_eq!(status, Some(0), "{stderr}");
    let answer: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let invited: Vec<&str> = answer["invited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["region"].as_str().unwrap())
        .collect();
    assert_eq!(invited, ["eu-west-1", "us-east-1"], "{answer:#}");
    assert!(
        stderr.contains("MACIE_REGIONS=us-east-1,eu-west-1"),
        "{stderr}"
    );
    for region in ["us-east-1", "eu-west-1"] {
        assert!(
            stderr.contains(&format!(" {region}: a Macie member")),
            "{stderr}"
        );
    }
}

#[test]
fn build_sh_says_it_is_working_while_sam_build_runs_and_ends_with_its_status() {
    // A SAM CLI that takes three seconds, names its arguments and fails: the build's own output,
    // the progress lines between and its exit status must all come through.
    let dir = std::env::temp_dir().join(format!("macie-invite-sam-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sam = dir.join("sam");
    std::fs::write(&sam, "#!/bin/sh\necho \"sam $*\"\nsleep 3\nexit 7\n").unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&sam, executable).unwrap();
    let output = Command::new("bash")
        .args(["scripts/build.sh", "--use-container"])
        .current_dir(ROOT)
        .env("SAM_CLI", &sam)
        .env("BUILD_PROGRESS_SECONDS", "1")
        .output()
        .expect("bash runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(7), "{stdout}{stderr}");
    assert!(stdout.contains("sam build --use-container"), "{stdout}");
    let ticks = stderr.matches("sam build: still building (").count();
    assert!(ticks >= 2, "a line a second for three seconds: {stderr}");

    let refused = Command::new("bash")
        .args(["scripts/build.sh"])
        .current_dir(ROOT)
        .env("SAM_CLI", &sam)
        .env("BUILD_PROGRESS_SECONDS", "0")
        .output()
        .expect("bash runs");
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("BUILD_PROGRESS_SECONDS is 0"), "{said}");
}
