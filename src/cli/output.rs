//! What the program writes, in the format `--log-format` chose (SPEC 10):
//! `text`, or `json`, where every line on either stream is one JSON object.
//! A command's result (an id, a link, a token) goes to standard output
//! alone on its line (in JSON: `{"result": ...}`); messages go to standard
//! error.

use std::sync::OnceLock;

/// How the program writes its lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Choose the format, once, before anything is written.
pub fn set(format: LogFormat) {
    let _ = FORMAT.set(format);
}

pub fn format() -> LogFormat {
    FORMAT.get().copied().unwrap_or_default()
}

fn json_line(level: &str, fields: &[(&str, &str)]) -> String {
    let mut map = serde_json::Map::new();
    map.insert(
        "timestamp".into(),
        chrono::Utc::now()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            .into(),
    );
    map.insert("level".into(), level.into());
    for (k, v) in fields {
        map.insert((*k).into(), (*v).into());
    }
    serde_json::Value::Object(map).to_string()
}

/// A command's result, alone on one line of standard output.
pub fn result(value: impl std::fmt::Display) {
    let value = value.to_string();
    match format() {
        LogFormat::Text => println!("{value}"),
        LogFormat::Json => println!("{}", json_line("INFO", &[("result", &value)])),
    }
}

/// A line for the reader of standard output (the demo's sign-ins).
pub fn show(text: impl std::fmt::Display) {
    let text = text.to_string();
    match format() {
        LogFormat::Text => println!("{text}"),
        LogFormat::Json => {
            for line in text.lines() {
                println!("{}", json_line("INFO", &[("message", line)]));
            }
        }
    }
}

/// A message on standard error.
pub fn note(text: impl std::fmt::Display) {
    say("INFO", &text.to_string());
}

/// An error on standard error.
pub fn error(text: impl std::fmt::Display) {
    say("ERROR", &text.to_string());
}

fn say(level: &str, text: &str) {
    match format() {
        LogFormat::Text if level == "ERROR" => eprintln!("error: {text}"),
        LogFormat::Text => eprintln!("{text}"),
        LogFormat::Json => eprintln!("{}", json_line(level, &[("message", text)])),
    }
}

/// The format asked for before the command line is parsed (so that a
/// usage error is written in it too): the flag, else `PORTAL_LOG_FORMAT`.
pub fn sniff(args: &[String]) -> LogFormat {
    let mut chosen = std::env::var("PORTAL_LOG_FORMAT").ok();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--log-format" {
            chosen = iter.next().cloned();
        } else if let Some(v) = arg.strip_prefix("--log-format=") {
            chosen = Some(v.to_string());
        }
    }
    match chosen.as_deref().map(str::trim) {
        Some("json") => LogFormat::Json,
        _ => LogFormat::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_read_from_the_flag_in_either_spelling() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            sniff(&args(&["lp", "--log-format", "json", "verify"])),
            LogFormat::Json
        );
        assert_eq!(sniff(&args(&["lp", "--log-format=json"])), LogFormat::Json);
        assert_eq!(
            sniff(&args(&["lp", "--log-format", "text"])),
            LogFormat::Text
        );
    }

    #[test]
    fn a_json_line_is_one_object_with_level_and_message() {
        let line = json_line("INFO", &[("message", "a \"quoted\"\nline")]);
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["message"], "a \"quoted\"\nline");
    }
}
