//! What `/proc` says about a function's process (its memory and CPU time)
//! and about this machine (the CPUs allowed, the load): the only figures
//! the harness cannot time itself, read in one place so the field parsing
//! is not spread over the measurements.

use std::time::Duration;

/// Memory figures from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub peak: u64,
    pub anon: u64,
    pub file: u64,
}

pub fn memory(pid: Option<u32>) -> Memory {
    let Some(pid) = pid else {
        return Memory::default();
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        peak: field("VmHWM:"),
        anon: field("RssAnon:"),
        file: field("RssFile:"),
    }
}

/// CPU time of a process, all its threads: `sched` from
/// `/proc/<pid>/task/*/schedstat` (nanoseconds), `stat` as utime + stime
/// from `/proc/<pid>/stat` (clock ticks, so 10 ms steps: over 2,000
/// invocations that is 5 µs each, hence the other figure).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    pub sched: Duration,
    pub stat: Duration,
}

pub fn cpu(pid: Option<u32>) -> Cpu {
    let Some(pid) = pid else {
        return Cpu::default();
    };
    let sched = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime and stime are fields 14 and 15, so 11 and 12 here.
    // USER_HZ is 100 on Linux whatever the kernel's tick.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|field| field.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Cpu {
        sched: Duration::from_nanos(sched),
        stat: Duration::from_millis(ticks * 10),
    }
}

/// The CPUs this process (and so every function it starts) may run on.
pub fn allowed_cpus() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
                .map(|list| list.trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
