//! Where the time goes: phase ends and each pipeline thread's CPU time, for
//! `benches/compare.sh` and for finding the slow stage of a run.
//!
//! The library never prints: the binary [`install`]s a sink (when `DEADWEIGHT_TIMINGS` is
//! set), and every measurement goes to it as one line. With no sink installed, nothing is
//! measured: [`phase`] and [`ThreadCpu`] cost one atomic load.

use std::sync::OnceLock;
use std::time::Instant;

/// Where timing lines go.
pub type Sink = Box<dyn Fn(&str) + Send + Sync>;

static SINK: OnceLock<Sink> = OnceLock::new();
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Starts the clock [`phase`] reads and sends every timing line to `sink` from now on.
/// Only the first call counts.
pub fn install(sink: Sink) {
    let _ = STARTED.set(Instant::now());
    let _ = SINK.set(sink);
}

/// True when a sink is installed: timings are measured.
pub fn wanted() -> bool {
    SINK.get().is_some()
}

fn emit(line: &str) {
    if let Some(sink) = SINK.get() {
        sink(line);
    }
}

/// Notes that `phase` has ended: how long since [`install`], and the process's peak and
/// current memory (where the system tells: Linux).
pub fn phase(phase: &str) {
    let (Some(_), Some(start)) = (SINK.get(), STARTED.get()) else {
        return;
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    emit(&format!(
        "deadweight: timing: {phase} done at {:.3} s (peak RSS {}, RSS {})",
        start.elapsed().as_secs_f64(),
        field("VmHWM:"),
        field("VmRSS:")
    ));
}

/// Notes how long `what` waited for another stage of the pipeline: `secs`, over `count`
/// times it had to (a layer worker for the replay to reach its layer).
pub fn waited(what: &str, secs: f64, count: u64) {
    if wanted() {
        emit(&format!(
            "deadweight: timing: {what} waited {secs:.3} s, {count} times"
        ));
    }
}

/// Notes the CPU time the calling thread has used, and how long it was ready to run but
/// waited for a core: which stage of the pipeline is the slow one, and whether the cores
/// were oversubscribed.
pub fn thread_cpu(name: &str) {
    if !wanted() || name.is_empty() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec, which `t` is.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0 {
            let waited = std::fs::read_to_string("/proc/thread-self/schedstat")
                .ok()
                .and_then(|s| run_queue_wait(&s))
                .map(|w| format!(", and waited {w:.3} s for a core"))
                .unwrap_or_default();
            emit(&format!(
                "deadweight: timing: {name} thread used {:.3} s of CPU{waited}",
                t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
            ));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = name;
}

/// The seconds a thread spent ready to run but waiting for a core, from the text of its
/// `/proc/.../schedstat` (nanoseconds on the CPU, nanoseconds waiting, time slices).
#[cfg(target_os = "linux")]
fn run_queue_wait(schedstat: &str) -> Option<f64> {
    let ns: u64 = schedstat.split_whitespace().nth(1)?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// Notes the thread's CPU time ([`thread_cpu`]) when dropped: as the thread ends.
pub struct ThreadCpu(pub &'static str);

impl Drop for ThreadCpu {
    fn drop(&mut self) {
        thread_cpu(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn run_queue_wait_is_the_second_field_of_schedstat() {
        assert_eq!(
            run_queue_wait("2120059424 424892130 5163\n"),
            Some(0.42489213)
        );
        assert_eq!(run_queue_wait("2120059424"), None);
        assert_eq!(run_queue_wait(""), None);
    }
}
