//! How fast one core parses event lines (development measurement).
use std::io::BufRead;
use std::time::Instant;

use guardrail_core::{Event, Timestamp};

fn rate(name: &str, n: usize, t: Instant) {
    println!("{name}: {:.0} lines/s", n as f64 / t.elapsed().as_secs_f64());
}

fn main() {
    let path = std::env::args().nth(1).expect("events.jsonl");
    let f = std::io::BufReader::new(std::fs::File::open(path).expect("open"));
    let lines: Vec<String> = f.lines().take(1_000_000).map(|l| l.expect("line")).collect();
    let n = lines.len();
    let t = Instant::now();
    let ok = lines.iter().filter(|l| Event::from_json_line(l).is_ok()).count();
    rate(&format!("Event::from_json_line ({ok} ok)"), n, t);
    let t = Instant::now();
    let k = lines.iter().filter(|l| Event::interaction_of_line(l).is_some()).count();
    rate(&format!("Event::interaction_of_line ({k} interactions)"), n, t);
    let stamps: Vec<&str> =
        lines.iter().filter_map(|l| l.find("\"at\":\"").map(|i| &l[i + 6..i + 26])).collect();
    let t = Instant::now();
    let k = stamps.iter().filter(|s| Timestamp::parse(s).is_ok()).count();
    rate(&format!("Timestamp::parse ({k} ok)"), n, t);
    let t = Instant::now();
    for l in &lines {
        let _: serde_json::Value = serde_json::from_str(l).expect("json");
    }
    rate("serde_json::Value", n, t);
}
