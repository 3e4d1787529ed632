//! The `wippy:process` host interface for Rust guests of wippy: WebAssembly core modules that
//! run as actor processes.
//!
//! A module built with this crate imports the functions of the module `wippy:process`, so its
//! entry must list `imports: [wippy:process]` (and `wasi1` too when it is built for
//! `wasm32-wasi`, whose standard library imports WASI). The export named by the entry's
//! `method` is the process's main function; its return value is the EXIT value.
//!
//! [`sys`] holds the raw imports, with the names and signatures of the README's table; the
//! functions at the top level wrap them: strings are `&str`, copied-out values come back as
//! `String`/`Vec<u8>` (buffers grow to the length the host asks for), and a negative return is
//! an [`Error`] carrying the code and the host's message. Data is one MessagePack value (or
//! nothing): [`msgpack`] writes and reads the values guests usually exchange.
//!
//! ```no_run
//! use wippy_process::{receive, send, Incoming};
//!
//! #[no_mangle]
//! pub extern "C" fn serve() -> i32 {
//!     let mut answered = 0;
//!     loop {
//!         match receive(Some("ping"), None) {
//!             Incoming::Message { from, data, .. } => {
//!                 let _ = send(&from, "pong", &data);
//!                 answered += 1;
//!             }
//!             Incoming::Cancel { .. } => return answered,
//!             _ => {}
//!         }
//!     }
//! }
//! ```
//!
//! The crate has no dependencies and builds with rustc 1.63 for `wasm32-wasi` and
//! `wasm32-unknown-unknown`. It needs only `core` and `alloc`.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

pub mod msgpack;

/// The raw imports of the module `wippy:process`, as the host declares them.
///
/// Strings are UTF-8 `(ptr, len)` pairs; a pid argument also takes a registered name. The
/// functions that copy out (`self_`, `current_*`, `last_error`) return the length and write
/// nothing when it exceeds `cap`. A negative return is one of the [`code`](crate::code)s.
pub mod sys {
    #[link(wasm_import_module = "wippy:process")]
    extern "C" {
        /// Writes the own pid into `buf`; returns its length.
        #[link_name = "self"]
        pub fn self_(buf: *mut u8, cap: i32) -> i32;
        /// Sends a message of `topic` with `data` (one MessagePack value, or none when
        /// `data_len` is 0) to `to`; 0, or a negative code.
        pub fn send(
            to: *const u8,
            to_len: i32,
            topic: *const u8,
            topic_len: i32,
            data: *const u8,
            data_len: i32,
        ) -> i32;
        /// Waits for the next message (only of `topic` when `topic_len > 0`) or event;
        /// `timeout_ms` -1 waits forever, 0 polls. Returns the [`kind`](crate::kind) of what
        /// became the current item.
        pub fn receive(topic: *const u8, topic_len: i32, timeout_ms: i64) -> i32;
        /// The current message's topic, or the event's type (`EXIT`, ...).
        pub fn current_topic(buf: *mut u8, cap: i32) -> i32;
        /// The sender's pid, or the pid an event is about.
        pub fn current_from(buf: *mut u8, cap: i32) -> i32;
        /// The current item's MessagePack data.
        pub fn current_data(buf: *mut u8, cap: i32) -> i32;
        /// Spawns `entry` on `host` (empty: the caller's host) with `args` (a MessagePack array,
        /// or nothing); `flags` bit 0 monitor, bit 1 link. Writes the pid and returns its
        /// length; when `cap` is below `host_len + 23` nothing is spawned and that length is
        /// returned.
        pub fn spawn(
            entry: *const u8,
            entry_len: i32,
            host: *const u8,
            host_len: i32,
            args: *const u8,
            args_len: i32,
            flags: i32,
            buf: *mut u8,
            cap: i32,
        ) -> i32;
        /// Monitors the process: its EXIT comes as an event.
        pub fn monitor(pid: *const u8, pid_len: i32) -> i32;
        /// Stops monitoring the process.
        pub fn unmonitor(pid: *const u8, pid_len: i32) -> i32;
        /// Links with the process.
        pub fn link(pid: *const u8, pid_len: i32) -> i32;
        /// Removes the link with the process.
        pub fn unlink(pid: *const u8, pid_len: i32) -> i32;
        /// Ends the process now (kind `terminated`).
        pub fn terminate(pid: *const u8, pid_len: i32) -> i32;
        /// Sends CANCEL with `reason` (empty: `cancelled`); the target is terminated after its
        /// host's `stop_timeout`.
        pub fn cancel(pid: *const u8, pid_len: i32, reason: *const u8, reason_len: i32) -> i32;
        /// `set_options(trap_links=on != 0)`.
        pub fn trap_links(on: i32) -> i32;
        /// Registers the process under `name`.
        pub fn register(name: *const u8, name_len: i32) -> i32;
        /// Frees `name`, which the process holds.
        pub fn unregister(name: *const u8, name_len: i32) -> i32;
        /// The message of the last negative return.
        pub fn last_error(buf: *mut u8, cap: i32) -> i32;
    }
}

/// The negative returns of the host functions (`wippy/actors/process_api/codes.py`).
pub mod code {
    /// Text that is not UTF-8, a pid that does not parse, data that is not one MessagePack
    /// value (spawn args: not an array), unknown flags, a name that cannot be registered.
    pub const BAD_ARGUMENT: i32 = -1;
    /// No live process has that pid or name.
    pub const NO_PROCESS: i32 = -2;
    /// Unknown entry or host, a host stopped or full, arguments that do not fit the entry.
    pub const SPAWN_FAILED: i32 = -3;
    /// `register`: another live process holds the name.
    pub const NAME_TAKEN: i32 = -4;
    /// `current_*`: nothing received, or the last receive timed out.
    pub const NO_ITEM: i32 = -5;
    /// `current_data`: the item carries a Python value MessagePack cannot hold.
    pub const NOT_ENCODABLE: i32 = -6;
}

/// What the raw `receive` returns: the kind of the item that became current.
pub mod kind {
    /// Nothing arrived in time; there is no current item.
    pub const TIMEOUT: i32 = 0;
    /// A message: topic, sender, data.
    pub const MESSAGE: i32 = 1;
    /// A monitored process exited: data `{value, error}`.
    pub const EXIT: i32 = 2;
    /// A linked process failed (with `trap_links`): data `{value, error}`.
    pub const LINK_DOWN: i32 = 3;
    /// Asked to stop: data is the reason string.
    pub const CANCEL: i32 = 4;
    /// Another event (SUPERVISION): the topic is its type.
    pub const OTHER: i32 = 5;
}

/// A host function that failed: its negative [`code`] and the host's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// One of the [`code`] constants.
    pub code: i32,
    /// What the host said (`last_error`).
    pub message: String,
}

impl Error {
    /// The error of a negative return `code`, with the message of [`last_error`].
    pub fn from_code(code: i32) -> Error {
        Error { code, message: last_error() }
    }

    /// The name of the code (`"no such process"`, ...).
    pub fn name(&self) -> &'static str {
        match self.code {
            code::BAD_ARGUMENT => "bad argument",
            code::NO_PROCESS => "no such process",
            code::SPAWN_FAILED => "spawn failed",
            code::NAME_TAKEN => "name taken",
            code::NO_ITEM => "no current item",
            code::NOT_ENCODABLE => "not encodable",
            _ => "unknown error",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.code, self.message)
    }
}

fn check(ret: i32) -> Result<(), Error> {
    if ret < 0 {
        Err(Error::from_code(ret))
    } else {
        Ok(())
    }
}

fn len_of(bytes: &[u8]) -> i32 {
    i32::try_from(bytes.len()).expect("wippy-process: argument longer than 2 GiB")
}

/// Calls a copy-out function with a growing buffer until what it returns fits.
fn copy_out(first: usize, mut call: impl FnMut(*mut u8, i32) -> i32) -> Result<Vec<u8>, i32> {
    let mut buf = vec![0u8; first];
    loop {
        let cap = len_of(&buf);
        let n = call(buf.as_mut_ptr(), cap);
        if n < 0 {
            return Err(n);
        }
        if n <= cap {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        buf.resize(n as usize, 0);
    }
}

fn text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The message of the last failed call (empty when none failed).
pub fn last_error() -> String {
    // SAFETY: the host writes at most `cap` bytes into the buffer.
    text(copy_out(128, |b, c| unsafe { sys::last_error(b, c) }).unwrap_or_default())
}

/// The own pid, as a string such as `<app:processes.17>`.
pub fn self_pid() -> String {
    // SAFETY: the host writes at most `cap` bytes into the buffer.
    text(copy_out(64, |b, c| unsafe { sys::self_(b, c) }).unwrap_or_default())
}

/// Sends a message of `topic` to `to` (a pid or a registered name); `data` is one MessagePack
/// value, or empty for none.
pub fn send(to: &str, topic: &str, data: &[u8]) -> Result<(), Error> {
    // SAFETY: every pointer comes with the length of a live slice.
    check(unsafe {
        sys::send(
            to.as_ptr(),
            len_of(to.as_bytes()),
            topic.as_ptr(),
            len_of(topic.as_bytes()),
            data.as_ptr(),
            len_of(data),
        )
    })
}

/// The MessagePack map an EXIT or LINK_DOWN carries: the process's value and its error.
#[derive(Clone, Debug, PartialEq)]
pub struct ExitInfo {
    /// The exit value, decoded (nil when the process failed).
    pub value: msgpack::Value,
    /// Why it failed; `None` when it returned.
    pub error: Option<ExitError>,
}

/// How a process failed: the error's kind (`trap`, `terminated`, `noproc`, ...) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitError {
    /// The kind of failure.
    pub kind: String,
    /// What happened.
    pub message: String,
}

impl ExitInfo {
    /// Reads the data of an EXIT or LINK_DOWN (`{value, error: {kind, message} | nil}`).
    pub fn decode(data: &[u8]) -> Result<ExitInfo, msgpack::DecodeError> {
        use msgpack::Value;
        let map = msgpack::decode(data)?;
        let value = map.get("value").cloned().unwrap_or(Value::Nil);
        let error = match map.get("error") {
            None | Some(Value::Nil) => None,
            Some(e) => Some(ExitError {
                kind: e.get("kind").and_then(Value::as_str).unwrap_or("").into(),
                message: e.get("message").and_then(Value::as_str).unwrap_or("").into(),
            }),
        };
        Ok(ExitInfo { value, error })
    }
}

/// What [`receive`] got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Nothing arrived within the timeout.
    Timeout,
    /// A message from another process.
    Message {
        /// Its topic.
        topic: String,
        /// The sender's pid: reply to it.
        from: String,
        /// One MessagePack value (nil when the sender sent no value).
        data: Vec<u8>,
    },
    /// A monitored process exited.
    Exit {
        /// The pid of the process that exited.
        from: String,
        /// MessagePack `{value, error}`; see [`ExitInfo::decode`].
        data: Vec<u8>,
    },
    /// A linked process failed (received only with [`trap_links`] on).
    LinkDown {
        /// The pid of the linked process.
        from: String,
        /// MessagePack `{value, error}`; see [`ExitInfo::decode`].
        data: Vec<u8>,
    },
    /// The process is asked to stop: return from the main function within the grace period.
    Cancel {
        /// Why (`cancelled` unless the canceller said otherwise).
        reason: String,
    },
    /// Another event, such as SUPERVISION.
    Other {
        /// The event's type.
        kind: String,
        /// The pid it is about.
        from: String,
        /// Its MessagePack data (a map like an EXIT's).
        data: Vec<u8>,
    },
    /// Something arrived whose data cannot be read (a Python value MessagePack cannot hold:
    /// code [`NOT_ENCODABLE`](code::NOT_ENCODABLE)); it is consumed.
    Unreadable {
        /// The raw [`kind`] of the item, or the negative return of `receive`.
        kind: i32,
        /// Its topic or type (empty when `receive` itself failed).
        topic: String,
        /// Its sender (empty when `receive` itself failed).
        from: String,
        /// Why it cannot be read.
        error: Error,
    },
}

/// Waits for the next message (only of `topic` when given) or event, for at most `timeout_ms`
/// milliseconds (`None`: forever, `Some(0)`: poll). Events (EXIT, CANCEL, ...) are taken
/// whatever the topic; messages of other topics stay queued.
pub fn receive(topic: Option<&str>, timeout_ms: Option<u64>) -> Incoming {
    let topic = topic.unwrap_or("").as_bytes();
    let timeout = match timeout_ms {
        None => -1,
        Some(ms) => i64::try_from(ms).unwrap_or(i64::MAX),
    };
    // SAFETY: the topic is a live slice.
    let got = unsafe { sys::receive(topic.as_ptr(), len_of(topic), timeout) };
    if got == kind::TIMEOUT {
        return Incoming::Timeout;
    }
    if got < 0 {
        let error = Error::from_code(got);
        return Incoming::Unreadable { kind: got, topic: String::new(), from: String::new(), error };
    }
    // SAFETY (the three calls): the host writes at most `cap` bytes into the buffer.
    let topic = text(copy_out(32, |b, c| unsafe { sys::current_topic(b, c) }).unwrap_or_default());
    let from = text(copy_out(64, |b, c| unsafe { sys::current_from(b, c) }).unwrap_or_default());
    let data = match copy_out(256, |b, c| unsafe { sys::current_data(b, c) }) {
        Ok(data) => data,
        Err(code) => {
            return Incoming::Unreadable { kind: got, topic, from, error: Error::from_code(code) }
        }
    };
    match got {
        kind::MESSAGE => Incoming::Message { topic, from, data },
        kind::EXIT => Incoming::Exit { from, data },
        kind::LINK_DOWN => Incoming::LinkDown { from, data },
        kind::CANCEL => {
            let reason = match msgpack::Reader::new(&data).str() {
                Ok(s) => s.into(),
                Err(_) => String::new(),
            };
            Incoming::Cancel { reason }
        }
        _ => Incoming::Other { kind: topic, from, data },
    }
}

/// How [`spawn`] ties the new process to the caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpawnFlags(i32);

impl SpawnFlags {
    /// Neither monitored nor linked.
    pub const NONE: SpawnFlags = SpawnFlags(0);
    /// Monitored: its EXIT comes as [`Incoming::Exit`].
    pub const MONITOR: SpawnFlags = SpawnFlags(1);
    /// Linked: its failure takes the caller down (or comes as [`Incoming::LinkDown`] with
    /// [`trap_links`]).
    pub const LINK: SpawnFlags = SpawnFlags(2);

    /// The bits the host takes.
    pub fn bits(self) -> i32 {
        self.0
    }
}

impl core::ops::BitOr for SpawnFlags {
    type Output = SpawnFlags;
    fn bitor(self, other: SpawnFlags) -> SpawnFlags {
        SpawnFlags(self.0 | other.0)
    }
}

/// Spawns `entry` (`namespace:name`) on `host` (`None`: the caller's host) with `args`, a
/// MessagePack array of the entry's arguments (empty: none); returns the new pid.
pub fn spawn(
    entry: &str,
    host: Option<&str>,
    args: &[u8],
    flags: SpawnFlags,
) -> Result<String, Error> {
    let host = host.unwrap_or("");
    let first = if host.is_empty() { 64 } else { host.len() + 23 };
    // SAFETY: every pointer comes with the length of a live slice; the host writes at most
    // `cap` bytes into the buffer (and spawns nothing when the pid might not fit).
    let pid = copy_out(first, |b, c| unsafe {
        sys::spawn(
            entry.as_ptr(),
            len_of(entry.as_bytes()),
            host.as_ptr(),
            len_of(host.as_bytes()),
            args.as_ptr(),
            len_of(args),
            flags.bits(),
            b,
            c,
        )
    });
    pid.map(text).map_err(Error::from_code)
}

macro_rules! on_pid {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(pid: &str) -> Result<(), Error> {
            // SAFETY: the pid is a live slice.
            check(unsafe { sys::$name(pid.as_ptr(), len_of(pid.as_bytes())) })
        }
    };
}

on_pid!(
    /// Monitors `pid` (or a registered name): its exit comes as [`Incoming::Exit`] (at once,
    /// kind `noproc`, when it is already gone).
    monitor
);
on_pid!(
    /// Stops monitoring `pid`.
    unmonitor
);
on_pid!(
    /// Links with `pid`: a failure of either ends the other (see [`trap_links`]).
    link
);
on_pid!(
    /// Removes the link with `pid`.
    unlink
);
on_pid!(
    /// Ends `pid` now (kind `terminated`).
    terminate
);

/// Asks `pid` to stop with `reason` (empty: `cancelled`); it is terminated if it has not
/// returned after its host's `stop_timeout`.
pub fn cancel(pid: &str, reason: &str) -> Result<(), Error> {
    // SAFETY: both are live slices.
    check(unsafe {
        sys::cancel(pid.as_ptr(), len_of(pid.as_bytes()), reason.as_ptr(), len_of(reason.as_bytes()))
    })
}

/// With `on`, a linked process's failure comes as [`Incoming::LinkDown`] instead of ending
/// this one.
pub fn trap_links(on: bool) {
    // SAFETY: no memory is passed.
    unsafe {
        sys::trap_links(i32::from(on));
    }
}

/// Registers this process as `name`: other processes may then send to the name.
pub fn register(name: &str) -> Result<(), Error> {
    // SAFETY: the name is a live slice.
    check(unsafe { sys::register(name.as_ptr(), len_of(name.as_bytes())) })
}

/// Frees `name`, which this process must hold.
pub fn unregister(name: &str) -> Result<(), Error> {
    // SAFETY: the name is a live slice.
    check(unsafe { sys::unregister(name.as_ptr(), len_of(name.as_bytes())) })
}
