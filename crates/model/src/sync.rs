//! Locking the std mutexes camscan shares between threads.

use std::sync::{Mutex, MutexGuard};

/// `m` locked; a lock poisoned by a panic in another holder is taken over. Every value camscan
/// keeps behind a mutex (counters, maps of sessions, queues, the store between transactions) is
/// whole between two statements, so the next holder may go on with it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
