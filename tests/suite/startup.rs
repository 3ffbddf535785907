//! The cold start: a bad setting stops the function before it serves, with a message naming the setting.

use std::process::Command;

fn start_with(settings: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_macie-invite"))
        .env_clear()
        .env("AWS_REGION", "us-east-1")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .envs(settings.iter().copied())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn each_bad_setting_fails_the_start_with_a_message_that_names_it() {
    let cases = [
        (
            "MACIE_REGIONS",
            "us-east-1,mars-1",
            "\"mars-1\" is not a region name",
        ),
        ("INVITATION_MESSAGE", &"x".repeat(81), "at most 80"),
        (
            "DISABLE_EMAIL_NOTIFICATION",
            "maybe",
            "expected true or false",
        ),
        ("EXCLUDED_ACCOUNT_IDS", "12345", "exactly 12 digits"),
    ];
    for (name, value, problem) in cases {
        let (success, output) = start_with(&[(name, value)]);
        assert!(!success, "{name}={value} should stop the start");
        let line = output
            .lines()
            .find(|line| line.contains("cannot start"))
            .unwrap_or_else(|| panic!("no JSON log line says why the start failed: {output}"));
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["level"], "ERROR");
        let error = line["error"].as_str().unwrap();
        assert!(error.contains(name) && error.contains(problem), "{error}");
    }
}
