//! How fast one core parses event lines (development measurement).
use std::io::BufRead;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("events.jsonl");
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let lines: Vec<String> = f.lines().take(1_000_000).map(|l| l.unwrap()).collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let t = Instant::now();
    let mut n = 0;
    for l in &lines {
        if guardrail_core::Event::from_json_line(l).is_ok() {
            n += 1;
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!("{n} events, {:.0} events/s, {:.1} MB/s", n as f64 / s, bytes as f64 / s / 1e6);
    let t = Instant::now();
    for l in &lines {
        let _: serde_json::Value = serde_json::from_str(l).unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    println!("serde_json::Value only: {:.0} events/s", n as f64 / s);
}
#[allow(dead_code)]
fn unused() {}
