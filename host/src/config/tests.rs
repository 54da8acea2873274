//! Tests of settings resolution.

use super::*;

fn write(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
    f
}

#[test]
fn defaults_follow_the_contract() {
    let s = Settings::resolve(&SettingsArgs::default()).unwrap();
    assert_eq!(s.queue, "sqlite://./taskhost-data/queue.db");
    assert_eq!(s.storage, "./taskhost-data/storage");
    assert_eq!(s.plugins, vec![PathBuf::from("./taskhost-data/plugins")]);
    assert_eq!(s.publish, "store");
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!((s.lease_secs, s.max_attempts), (30, 3));
    assert!(s.concurrency >= 1);
}

#[test]
fn flags_beat_the_file_and_the_file_beats_defaults() {
    let file = write("storage = \"/from/file\"\nmax_attempts = 7\ngrants = [\"p=read:b1\"]\n");
    let args = SettingsArgs {
        config: Some(file.path().to_owned()),
        storage: Some("memory://".into()),
        ..SettingsArgs::default()
    };
    let s = Settings::resolve(&args).unwrap();
    assert_eq!(s.storage, "memory://");
    assert_eq!(s.max_attempts, 7);
    assert_eq!(s.grants[0].to_string(), "p=read:b1");
}

#[test]
fn unknown_keys_in_the_file_are_an_error_naming_the_key() {
    let file = write("storag = \"typo\"\n");
    let args = SettingsArgs {
        config: Some(file.path().to_owned()),
        ..SettingsArgs::default()
    };
    let err = Settings::resolve(&args).unwrap_err().to_string();
    assert!(err.contains("storag"), "{err}");
}

#[test]
fn out_of_range_values_are_refused() {
    let args = SettingsArgs {
        concurrency: Some(0),
        ..SettingsArgs::default()
    };
    assert!(Settings::resolve(&args).is_err());
}

#[test]
fn secrets_are_redacted_in_show() {
    let args = SettingsArgs {
        api_token: Some("s3cret".into()),
        ..SettingsArgs::default()
    };
    let shown = Settings::resolve(&args).unwrap().to_toml();
    assert!(
        !shown.contains("s3cret") && shown.contains("<redacted>"),
        "{shown}"
    );
}

#[test]
fn caps_parse_and_bad_ones_are_refused() {
    let file = write("caps = [\"PrepareExperiment=1\"]\nnames = [\"Echo\"]\ngrace_secs = 5\n");
    let args = SettingsArgs {
        config: Some(file.path().to_owned()),
        ..SettingsArgs::default()
    };
    let s = Settings::resolve(&args).unwrap();
    assert_eq!(
        s.caps,
        vec![TaskCap {
            name: "PrepareExperiment".into(),
            limit: 1
        }]
    );
    assert_eq!(
        (s.names.clone(), s.grace_secs),
        (vec!["Echo".to_owned()], 5)
    );
    for bad in ["x", "x=0", "=3", "x=-1", "x=many"] {
        assert!(bad.parse::<TaskCap>().is_err(), "{bad} parsed");
    }
}
