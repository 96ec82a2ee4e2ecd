//! The progress bar on standard error (only on a terminal): bytes read in the report's
//! units (SI: kB, MB, GB, as `--bytes si` and the report show them, not indicatif's
//! KiB/MiB), the rate, and which layer of how many is being read ("layer 3/10"), where
//! the archive reader's counters say.

use deadweight::archive::Progress;
use deadweight::report::bytes::ByteFormat;
use deadweight::source::Source;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the reader has done, as the bar shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Bytes of the input read (as stored).
    pub read: u64,
    /// The input's size, when known before reading.
    pub total: Option<u64>,
    /// Layer blobs begun.
    pub layer: u64,
    /// Layer blobs in the input, 0 when not known.
    pub layers: u64,
    /// The member being read.
    pub member: String,
}

/// The bar's text after `elapsed`: `12.4 MB/105 MB  8.21 MB/s  layer 3/10`; without a
/// known total, `12.4 MB`; before the first layer, the member's name (at most 40
/// characters).
pub fn line(seen: &Seen, elapsed: Duration) -> String {
    let si = ByteFormat::Si;
    let mut out = si.format(seen.read);
    if let Some(total) = seen.total {
        out.push('/');
        out.push_str(&si.format(total));
    }
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        // Rounded to whole bytes per second before formatting, as a size is.
        out.push_str(&format!(
            "  {}/s",
            si.format((seen.read as f64 / secs) as u64)
        ));
    }
    match (seen.layer, seen.layers) {
        (0, _) if seen.member.is_empty() => {}
        (0, _) => {
            out.push_str("  ");
            out.extend(seen.member.chars().take(40));
        }
        (n, 0) => out.push_str(&format!("  layer {n}")),
        // A scan's count and the reader's may disagree (an archive of several images
        // counts every image's layers): never show "layer 4/3".
        (n, m) => out.push_str(&format!("  layer {n}/{}", m.max(n))),
    }
    out
}

/// A progress bar on standard error while `progress` shows reading under way; stopped
/// by the flag returned, or when reading ends. Shown only for reads that take over
/// 300 ms.
pub fn spawn(source: &Source, progress: Arc<Progress>) -> (JoinHandle<()>, Arc<AtomicBool>) {
    let total = source.size_hint();
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let bar = match total {
            Some(t) => indicatif::ProgressBar::new(t),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let style = if total.is_some() {
            "{bar:30} {msg}"
        } else {
            "{spinner} {msg}"
        };
        if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
            bar.set_style(s);
        }
        let started = Instant::now();
        while !stop_flag.load(Ordering::Relaxed) && !progress.done.load(Ordering::Relaxed) {
            if started.elapsed() > Duration::from_millis(300) {
                let seen = Seen {
                    read: progress.bytes.load(Ordering::Relaxed),
                    total,
                    layer: progress.layer.load(Ordering::Relaxed),
                    layers: progress.layers.load(Ordering::Relaxed),
                    member: progress
                        .member
                        .lock()
                        .map(|m| m.clone())
                        .unwrap_or_default(),
                };
                bar.set_position(seen.read);
                bar.set_message(line(&seen, started.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    (handle, stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(read: u64, total: Option<u64>, layer: u64, layers: u64) -> Seen {
        Seen {
            read,
            total,
            layer,
            layers,
            member: "blobs/sha256/0123456789abcdef0123456789abcdef0123456789abcdef".into(),
        }
    }

    #[test]
    fn counts_in_si_units_and_layers() {
        // 12,400,000 of 105,000,000 bytes in 2 s: 6.2 MB/s (SI, as the report; in
        // binary units these would read 11.8 MiB of 100 MiB).
        let s = seen(12_400_000, Some(105_000_000), 3, 10);
        assert_eq!(
            line(&s, Duration::from_secs(2)),
            "12.4 MB/105 MB  6.20 MB/s  layer 3/10"
        );
    }

    #[test]
    fn unknown_totals_and_no_layer_yet() {
        let s = seen(1_536_128, None, 2, 0);
        assert_eq!(
            line(&s, Duration::from_secs(1)),
            "1.54 MB  1.54 MB/s  layer 2"
        );
        let s = seen(999, None, 0, 0);
        assert_eq!(
            line(&s, Duration::ZERO),
            "999 B  blobs/sha256/0123456789abcdef0123456789a"
        );
        // A count that falls short of the reader's never shows N over M.
        let s = seen(0, Some(0), 4, 3);
        assert_eq!(line(&s, Duration::ZERO), "0 B/0 B  layer 4/4");
    }
}
