//! Jobs run from a bounded number of threads, for `bpf(2)` calls that each wait in the kernel
//! for an RCU grace period (updates and deletes of outer maps): concurrent waiters share one,
//! so `n` such calls from [`MAX_THREADS`] threads cost about `n / MAX_THREADS` grace periods
//! instead of `n`.
//!
//! The number of jobs may come from untrusted input (an object's outer maps), so it never
//! decides the number of threads; and a thread the system refuses (`EAGAIN` under a pids limit
//! or `ulimit -v`) is no panic: its share of the jobs runs on the calling thread.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;

/// The most threads [`run`] is given by its callers.
pub(crate) const MAX_THREADS: usize = 32;

/// `0..n` cut into at most `max_threads` contiguous, non-empty ranges, in order, whose lengths
/// differ by at most one (`max_threads` 0 is taken as 1).
pub(crate) fn shares(n: usize, max_threads: usize) -> Vec<Range<usize>> {
    let count = n.min(max_threads.max(1));
    let mut start = 0;
    (0..count)
        .map(|share| {
            // No division by 0: `0..count` is empty when `count` is 0.
            let len = n / count + usize::from(share < n % count);
            start += len;
            start - len..start
        })
        .collect()
}

/// Runs `job(i)` for every `i` in `0..n`: on the calling thread for `n` ≤ 1, else one
/// [`shares`] range per thread made by `builder`, each thread running its jobs in turn, so at
/// most `max_threads` run at once. Returns, per share in order, its length and what its jobs
/// gave in order — or the panic that ended it, for the caller to turn into errors or to
/// resume (only where panics unwind: this crate's release profile aborts).
///
/// A share whose thread cannot be spawned runs on the calling thread while the spawned ones
/// run. The `bpf(2)` calls of spawned threads are credited to the calling thread.
pub(crate) fn run<R: Send>(
    n: usize,
    max_threads: usize,
    builder: impl Fn() -> thread::Builder,
    job: impl Fn(usize) -> R + Sync,
) -> Vec<(usize, thread::Result<Vec<R>>)> {
    if n <= 1 {
        return vec![(n, Ok((0..n).map(job).collect()))];
    }
    let job = &job;
    let run_share = move |share: Range<usize>| share.map(job).collect::<Vec<R>>();
    thread::scope(|scope| {
        let spawned: Vec<_> = shares(n, max_threads)
            .into_iter()
            .map(|share| {
                let task = {
                    let share = share.clone();
                    move || crate::stats::measured(|| run_share(share))
                };
                (share, builder().spawn_scoped(scope, task))
            })
            .collect();
        // The shares no thread took run here, while the spawned threads run theirs: all of
        // them (the `collect`) before the first `join`.
        let started: Vec<_> = spawned
            .into_iter()
            .map(|(share, spawned)| match spawned {
                Ok(thread) => (share.len(), Ok(thread)),
                Err(_) => (
                    share.len(),
                    Err(catch_unwind(AssertUnwindSafe(|| run_share(share)))),
                ),
            })
            .collect();
        started
            .into_iter()
            .map(|(len, started)| {
                let done = match started {
                    Ok(thread) => thread.join().map(|(done, calls)| {
                        crate::stats::credit(calls);
                        done
                    }),
                    Err(here) => here,
                };
                (len, done)
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    use std::thread::ThreadId;
    use std::time::Duration;

    use super::*;

    /// A builder whose threads cannot be made: a stack larger than any address space, so
    /// `pthread_create` fails with `EAGAIN`, as it does under a pids limit or `ulimit -v`.
    #[cfg(target_pointer_width = "64")]
    fn failing_builder() -> thread::Builder {
        thread::Builder::new().stack_size(1 << 60)
    }

    /// The builders to test with: the real one, and one that always fails.
    fn builders() -> Vec<fn() -> thread::Builder> {
        let mut builders: Vec<fn() -> thread::Builder> = vec![thread::Builder::new];
        #[cfg(target_pointer_width = "64")]
        builders.push(failing_builder);
        builders
    }

    /// The jobs' results in order, with each panicked share's jobs as `None`.
    fn flat<R>(shares: Vec<(usize, thread::Result<Vec<R>>)>) -> Vec<Option<R>> {
        shares
            .into_iter()
            .flat_map(|(len, done)| match done {
                Ok(done) => done.into_iter().map(Some).collect::<Vec<_>>(),
                Err(_) => (0..len).map(|_| None).collect(),
            })
            .collect()
    }

    /// Runs `run(n, max_threads, builder, …)` with jobs that give `i * 3` and note the thread
    /// they ran on; checks every job ran once and the results are in order, and returns the
    /// threads used.
    fn threads_used(
        n: usize,
        max_threads: usize,
        builder: impl Fn() -> thread::Builder,
    ) -> HashSet<ThreadId> {
        let runs: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
        let threads = Mutex::new(HashSet::new());
        let results = flat(run(n, max_threads, builder, |i| {
            runs[i].fetch_add(1, Ordering::Relaxed);
            threads.lock().unwrap().insert(thread::current().id());
            i * 3
        }));
        assert_eq!(
            results,
            (0..n).map(|i| Some(i * 3)).collect::<Vec<_>>(),
            "n {n}"
        );
        assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1), "n {n}");
        threads.into_inner().unwrap()
    }

    #[test]
    fn shares_cover_every_item_once_in_order_within_the_bound() {
        for max_threads in [0, 1, 3, MAX_THREADS] {
            for n in [0, 1, 2, MAX_THREADS - 1, MAX_THREADS, MAX_THREADS + 1, 1000] {
                let shares = shares(n, max_threads);
                let what = format!("{n} / {max_threads}");
                assert_eq!(shares.len(), n.min(max_threads.max(1)), "{what}");
                let items: Vec<usize> = shares.iter().cloned().flatten().collect();
                assert_eq!(items, (0..n).collect::<Vec<_>>(), "{what}");
                let lens: Vec<usize> = shares.iter().map(ExactSizeIterator::len).collect();
                assert!(!lens.contains(&0), "{what}: an empty share");
                let spread = lens.iter().max().zip(lens.iter().min()).map(|(a, b)| a - b);
                assert!(spread <= Some(1), "{what}: {lens:?}");
            }
        }
        // More jobs than threads: 32 shares, of 31 or 32 jobs.
        let lens: Vec<usize> = shares(1000, MAX_THREADS).iter().map(|s| s.len()).collect();
        assert_eq!(
            lens.iter().filter(|&&l| l == 32).count(),
            1000 % MAX_THREADS
        );
        assert!(lens.iter().all(|&l| l == 31 || l == 32));
    }

    #[test]
    fn every_job_runs_once_from_at_most_the_bound_of_threads() {
        let caller = thread::current().id();
        for n in [0, 1] {
            let used = threads_used(n, MAX_THREADS, thread::Builder::new);
            assert!(used.iter().all(|&t| t == caller), "n {n} runs here");
        }
        for n in [2, MAX_THREADS - 1, MAX_THREADS, MAX_THREADS + 1, 1000] {
            let used = threads_used(n, MAX_THREADS, thread::Builder::new);
            assert_eq!(
                used.len(),
                n.min(MAX_THREADS),
                "n {n}: one thread per share"
            );
            assert!(
                !used.contains(&caller),
                "n {n}: spawned threads did the work"
            );
        }
    }

    /// Up to the bound, the jobs run at the same time (as the calls must, to share a grace
    /// period): each job waits until all are running.
    #[test]
    fn jobs_of_different_shares_run_at_once() {
        let running = Mutex::new(0usize);
        let all_in = Condvar::new();
        let results = flat(run(MAX_THREADS, MAX_THREADS, thread::Builder::new, |_| {
            let mut running = running.lock().unwrap();
            *running += 1;
            all_in.notify_all();
            let (running, _) = all_in
                .wait_timeout_while(running, Duration::from_secs(30), |r| *r < MAX_THREADS)
                .unwrap();
            *running == MAX_THREADS
        }));
        assert!(
            results.iter().all(|&met| met == Some(true)),
            "not all jobs ran at once"
        );
    }

    /// Beyond the bound, never more than the bound at once.
    #[test]
    fn never_more_than_the_bound_at_once() {
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        run(200, 4, thread::Builder::new, |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            thread::sleep(Duration::from_micros(200));
            running.fetch_sub(1, Ordering::SeqCst);
        });
        let most = most.into_inner();
        assert!((1..=4).contains(&most), "{most} jobs at once");
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn what_no_thread_takes_runs_here() {
        assert!(
            failing_builder().spawn(|| ()).is_err(),
            "the builder must fail"
        );
        let caller = thread::current().id();
        for n in [2, MAX_THREADS, MAX_THREADS + 1, 1000] {
            let used = threads_used(n, MAX_THREADS, failing_builder);
            assert_eq!(used, HashSet::from([caller]), "n {n}");
        }
        // Every other spawn fails: the shares are split between threads and here, and the
        // results are still every job's, in order.
        let spawns = AtomicUsize::new(0);
        let every_other = || {
            if spawns.fetch_add(1, Ordering::Relaxed) % 2 == 0 {
                thread::Builder::new()
            } else {
                failing_builder()
            }
        };
        let used = threads_used(100, 8, every_other);
        assert!(used.contains(&caller));
        assert_eq!(used.len(), 1 + 4, "four shares on threads, four here");
    }

    /// The calls of spawned threads are credited to the caller; those made here count anyway.
    #[test]
    fn every_call_is_credited_to_the_caller() {
        for builder in builders() {
            for n in [1, 2, MAX_THREADS + 1, 1000] {
                let before = crate::stats::syscall_count();
                run(n, MAX_THREADS, builder, |_| crate::stats::count_call());
                assert_eq!(crate::stats::syscall_count() - before, n as u64, "n {n}");
            }
        }
    }

    /// A panicking job ends its share, whether it ran on a thread or here; the other shares'
    /// results stand.
    #[test]
    fn a_panic_ends_its_share_only() {
        for builder in builders() {
            // Shares 0..4, 4..7, 7..10; job 5 panics.
            let results = flat(run(10, 3, builder, |i| {
                assert_ne!(i, 5, "job 5 panics (on purpose)");
                i
            }));
            let expected: Vec<Option<usize>> = (0..10)
                .map(|i| (!(4..7).contains(&i)).then_some(i))
                .collect();
            assert_eq!(results, expected);
        }
    }
}
