//! MessagePack for the data guests exchange: nil, bool, integers, floats, strings, binary,
//! arrays and maps (extension types are skipped by [`Reader::skip`] but not decoded).
//!
//! [`Writer`] appends values to a byte vector; [`Reader`] reads them one at a time from a
//! slice, borrowing strings and binary; [`Value`] is a whole decoded value, for data whose
//! shape is not known in advance.
//!
//! ```
//! use wippy_process::msgpack::{self, Reader, Value, Writer};
//!
//! let bytes = Writer::new().array(2).str("add").int(40).into_bytes();
//! let mut r = Reader::new(&bytes);
//! assert_eq!(r.array(), Ok(2));
//! assert_eq!(r.str(), Ok("add"));
//! assert_eq!(r.int(), Ok(40));
//! assert_eq!(msgpack::decode(&bytes).unwrap(), Value::Array(vec!["add".into(), 40.into()]));
//! ```

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Builds MessagePack: each method appends one value (or a container's header).
///
/// An array header of `n` must be followed by `n` values, a map header of `n` by `n` key and
/// value pairs.
#[derive(Clone, Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Writer {
        Writer { buf: Vec::new() }
    }

    fn be(&mut self, v: u64, bytes: usize) -> &mut Writer {
        self.buf.extend_from_slice(&v.to_be_bytes()[8 - bytes..]);
        self
    }

    fn tag(&mut self, b: u8) -> &mut Writer {
        self.buf.push(b);
        self
    }

    /// nil.
    pub fn nil(&mut self) -> &mut Writer {
        self.tag(0xc0)
    }

    /// true or false.
    pub fn bool(&mut self, v: bool) -> &mut Writer {
        self.tag(if v { 0xc3 } else { 0xc2 })
    }

    /// An integer, in its shortest form.
    pub fn int(&mut self, v: i64) -> &mut Writer {
        if (0..=0x7f).contains(&v) || (-32..0).contains(&v) {
            self.tag(v as u8)
        } else if v >= 0 {
            self.uint(v as u64)
        } else if v >= i64::from(i8::MIN) {
            self.tag(0xd0).be(v as u64, 1)
        } else if v >= i64::from(i16::MIN) {
            self.tag(0xd1).be(v as u64, 2)
        } else if v >= i64::from(i32::MIN) {
            self.tag(0xd2).be(v as u64, 4)
        } else {
            self.tag(0xd3).be(v as u64, 8)
        }
    }

    /// An unsigned integer, in its shortest form.
    pub fn uint(&mut self, v: u64) -> &mut Writer {
        if v <= 0x7f {
            self.tag(v as u8)
        } else if v <= 0xff {
            self.tag(0xcc).be(v, 1)
        } else if v <= 0xffff {
            self.tag(0xcd).be(v, 2)
        } else if v <= 0xffff_ffff {
            self.tag(0xce).be(v, 4)
        } else {
            self.tag(0xcf).be(v, 8)
        }
    }

    /// A 64-bit float.
    pub fn float(&mut self, v: f64) -> &mut Writer {
        self.tag(0xcb).be(v.to_bits(), 8)
    }

    fn len(&mut self, n: usize, fix: u8, fix_max: usize, tag8: Option<u8>, tag16: u8) -> &mut Writer {
        if n <= fix_max {
            self.tag(fix | n as u8)
        } else if let (Some(t), true) = (tag8, n <= 0xff) {
            self.tag(t).be(n as u64, 1)
        } else if n <= 0xffff {
            self.tag(tag16).be(n as u64, 2)
        } else {
            self.tag(tag16 + 1).be(n as u64, 4)
        }
    }

    /// A UTF-8 string.
    pub fn str(&mut self, s: &str) -> &mut Writer {
        self.len(s.len(), 0xa0, 31, Some(0xd9), 0xda);
        self.raw(s.as_bytes())
    }

    /// Binary data.
    pub fn bin(&mut self, data: &[u8]) -> &mut Writer {
        if data.len() <= 0xff {
            self.tag(0xc4).be(data.len() as u64, 1);
        } else if data.len() <= 0xffff {
            self.tag(0xc5).be(data.len() as u64, 2);
        } else {
            self.tag(0xc6).be(data.len() as u64, 4);
        }
        self.raw(data)
    }

    /// The header of an array of `n` values.
    pub fn array(&mut self, n: usize) -> &mut Writer {
        self.len(n, 0x90, 15, None, 0xdc)
    }

    /// The header of a map of `n` key and value pairs.
    pub fn map(&mut self, n: usize) -> &mut Writer {
        self.len(n, 0x80, 15, None, 0xde)
    }

    /// Bytes that already are MessagePack (a value received, say), as they are.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Writer {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// A whole [`Value`].
    pub fn value(&mut self, v: &Value) -> &mut Writer {
        match v {
            Value::Nil => self.nil(),
            Value::Bool(b) => self.bool(*b),
            Value::Int(i) => self.int(*i),
            Value::Float(f) => self.float(*f),
            Value::Str(s) => self.str(s),
            Value::Bin(b) => self.bin(b),
            Value::Array(items) => {
                self.array(items.len());
                for item in items {
                    self.value(item);
                }
                self
            }
            Value::Map(pairs) => {
                self.map(pairs.len());
                for (k, item) in pairs {
                    self.value(k).value(item);
                }
                self
            }
        }
    }

    /// What was written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The bytes written (leaves the writer empty).
    pub fn into_bytes(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.buf)
    }
}

/// Why data could not be read: what was expected and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The offset in the data of the value that could not be read.
    pub position: usize,
    /// What went wrong.
    pub reason: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessagePack at byte {}: {}", self.position, self.reason)
    }
}

/// The type of the next value of a [`Reader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// nil.
    Nil,
    /// true or false.
    Bool,
    /// An integer.
    Int,
    /// A 32- or 64-bit float.
    Float,
    /// A string.
    Str,
    /// Binary data.
    Bin,
    /// An array.
    Array,
    /// A map.
    Map,
    /// An extension type.
    Ext,
    /// A byte no value starts with (0xc1).
    Invalid,
}

/// Reads MessagePack values one after the other from a slice.
///
/// A read of the wrong type, or past the end, returns an error and leaves the position where
/// it was.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

type Read<T> = Result<T, DecodeError>;

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// The offset of the next value.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Whether every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn fail<T>(&self, reason: &'static str) -> Read<T> {
        Err(DecodeError { position: self.pos, reason })
    }

    /// The type of the next value; `None` at the end of the data.
    pub fn peek(&self) -> Option<Kind> {
        let b = *self.data.get(self.pos)?;
        Some(match b {
            0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => Kind::Int,
            0x80..=0x8f | 0xde | 0xdf => Kind::Map,
            0x90..=0x9f | 0xdc | 0xdd => Kind::Array,
            0xa0..=0xbf | 0xd9..=0xdb => Kind::Str,
            0xc0 => Kind::Nil,
            0xc2 | 0xc3 => Kind::Bool,
            0xca | 0xcb => Kind::Float,
            0xc4..=0xc6 => Kind::Bin,
            0xc7..=0xc9 | 0xd4..=0xd8 => Kind::Ext,
            _ => Kind::Invalid,
        })
    }

    /// `n` bytes at `at` as a big-endian number, or None past the end.
    fn be_at(&self, at: usize, n: usize) -> Option<u64> {
        let bytes = self.data.get(at..at.checked_add(n)?)?;
        Some(bytes.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)))
    }

    fn expect(&self, kind: Kind, reason: &'static str) -> Read<u8> {
        match self.peek() {
            Some(k) if k == kind => Ok(self.data[self.pos]),
            None => self.fail("unexpected end of data"),
            Some(_) => self.fail(reason),
        }
    }

    /// Reads nil.
    pub fn nil(&mut self) -> Read<()> {
        self.expect(Kind::Nil, "expected nil")?;
        self.pos += 1;
        Ok(())
    }

    /// Reads a bool.
    pub fn bool(&mut self) -> Read<bool> {
        let b = self.expect(Kind::Bool, "expected a bool")?;
        self.pos += 1;
        Ok(b == 0xc3)
    }

    /// Reads an integer (one above `i64::MAX` is an error).
    pub fn int(&mut self) -> Read<i64> {
        let b = self.expect(Kind::Int, "expected an integer")?;
        let v = match b {
            0x00..=0x7f => {
                self.pos += 1;
                return Ok(i64::from(b));
            }
            0xe0..=0xff => {
                self.pos += 1;
                return Ok(i64::from(b as i8));
            }
            _ => {
                let width = 1usize << ((b - 0xcc) & 3);
                match self.be_at(self.pos + 1, width) {
                    Some(v) => (v, width),
                    None => return self.fail("unexpected end of data"),
                }
            }
        };
        let (raw, width) = v;
        let value = if b >= 0xd0 {
            let shift = 64 - 8 * width as u32;
            ((raw << shift) as i64) >> shift
        } else if raw > i64::MAX as u64 {
            return self.fail("integer above i64::MAX");
        } else {
            raw as i64
        };
        self.pos += 1 + width;
        Ok(value)
    }

    /// Reads a float (an integer is taken too).
    pub fn float(&mut self) -> Read<f64> {
        match self.peek() {
            Some(Kind::Int) => return self.int().map(|i| i as f64),
            Some(Kind::Float) => {}
            None => return self.fail("unexpected end of data"),
            Some(_) => return self.fail("expected a float"),
        }
        let wide = self.data[self.pos] == 0xcb;
        let width = if wide { 8 } else { 4 };
        let raw = match self.be_at(self.pos + 1, width) {
            Some(raw) => raw,
            None => return self.fail("unexpected end of data"),
        };
        self.pos += 1 + width;
        Ok(if wide { f64::from_bits(raw) } else { f64::from(f32::from_bits(raw as u32)) })
    }

    /// The length of a header at the position: (header size, length).
    fn header(&self, fix_mask: u8, fixed: bool, first: u8, widths: &[usize]) -> Read<(usize, usize)> {
        let b = self.data[self.pos];
        if fixed {
            return Ok((1, usize::from(b & fix_mask)));
        }
        let width = widths[usize::from(b - first)];
        match self.be_at(self.pos + 1, width) {
            Some(n) => Ok((1 + width, n as usize)),
            None => self.fail("unexpected end of data"),
        }
    }

    fn bytes(&mut self, header: usize, n: usize) -> Read<&'a [u8]> {
        let start = self.pos + header;
        match start.checked_add(n).and_then(|end| self.data.get(start..end)) {
            Some(bytes) => {
                self.pos = start + n;
                Ok(bytes)
            }
            None => self.fail("unexpected end of data"),
        }
    }

    /// Reads a string (borrowed from the data).
    pub fn str(&mut self) -> Read<&'a str> {
        let b = self.expect(Kind::Str, "expected a string")?;
        let (header, n) = self.header(0x1f, b & 0xe0 == 0xa0, 0xd9, &[1, 2, 4])?;
        let start = self.pos;
        let bytes = self.bytes(header, n)?;
        core::str::from_utf8(bytes).map_err(|_| DecodeError {
            position: start,
            reason: "string is not UTF-8",
        })
        .map_err(|e| {
            self.pos = start;
            e
        })
    }

    /// Reads binary data (borrowed from the data).
    pub fn bin(&mut self) -> Read<&'a [u8]> {
        self.expect(Kind::Bin, "expected binary data")?;
        let (header, n) = self.header(0, false, 0xc4, &[1, 2, 4])?;
        self.bytes(header, n)
    }

    /// Reads an array header: the number of values that follow.
    pub fn array(&mut self) -> Read<usize> {
        let b = self.expect(Kind::Array, "expected an array")?;
        let (header, n) = self.header(0x0f, b & 0xf0 == 0x90, 0xdc, &[2, 4])?;
        self.pos += header;
        Ok(n)
    }

    /// Reads a map header: the number of key and value pairs that follow.
    pub fn map(&mut self) -> Read<usize> {
        let b = self.expect(Kind::Map, "expected a map")?;
        let (header, n) = self.header(0x0f, b & 0xf0 == 0x80, 0xde, &[2, 4])?;
        self.pos += header;
        Ok(n)
    }

    /// Skips one value of any type, nested ones included; returns its bytes.
    pub fn skip(&mut self) -> Read<&'a [u8]> {
        let start = self.pos;
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            let step = match self.peek() {
                None => self.fail("unexpected end of data"),
                Some(Kind::Nil) => self.nil(),
                Some(Kind::Bool) => self.bool().map(drop),
                Some(Kind::Int) => self.int().map(drop),
                Some(Kind::Float) => self.float().map(drop),
                Some(Kind::Str) => self.str().map(drop),
                Some(Kind::Bin) => self.bin().map(drop),
                Some(Kind::Array) => self.array().map(|n| pending += n as u64),
                Some(Kind::Map) => self.map().map(|n| pending += 2 * n as u64),
                Some(Kind::Ext) => self.ext(),
                Some(Kind::Invalid) => self.fail("invalid byte 0xc1"),
            };
            if let Err(e) = step {
                self.pos = start;
                return Err(e);
            }
        }
        Ok(&self.data[start..self.pos])
    }

    fn ext(&mut self) -> Read<()> {
        let b = self.data[self.pos];
        let (header, n) = if b >= 0xd4 {
            (2, 1usize << (b - 0xd4))
        } else {
            let width = 1usize << (b - 0xc7);
            match self.be_at(self.pos + 1, width) {
                Some(n) => (2 + width, n as usize),
                None => return self.fail("unexpected end of data"),
            }
        };
        self.bytes(header, n).map(drop)
    }

    /// Reads one whole value.
    pub fn value(&mut self) -> Read<Value> {
        let start = self.pos;
        let v = self.value_at(0);
        if v.is_err() {
            self.pos = start;
        }
        v
    }

    fn value_at(&mut self, depth: u32) -> Read<Value> {
        if depth > 64 {
            return self.fail("nested deeper than 64");
        }
        Ok(match self.peek() {
            None => return self.fail("unexpected end of data"),
            Some(Kind::Nil) => self.nil().map(|_| Value::Nil)?,
            Some(Kind::Bool) => Value::Bool(self.bool()?),
            Some(Kind::Int) => Value::Int(self.int()?),
            Some(Kind::Float) => Value::Float(self.float()?),
            Some(Kind::Str) => Value::Str(self.str()?.to_owned()),
            Some(Kind::Bin) => Value::Bin(self.bin()?.to_vec()),
            Some(Kind::Array) => {
                let n = self.array()?;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.value_at(depth + 1)?);
                }
                Value::Array(items)
            }
            Some(Kind::Map) => {
                let n = self.map()?;
                let mut pairs = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    let k = self.value_at(depth + 1)?;
                    pairs.push((k, self.value_at(depth + 1)?));
                }
                Value::Map(pairs)
            }
            Some(Kind::Ext) => return self.fail("extension types are not decoded"),
            Some(Kind::Invalid) => return self.fail("invalid byte 0xc1"),
        })
    }
}

/// A decoded MessagePack value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// nil.
    Nil,
    /// true or false.
    Bool(bool),
    /// An integer (up to `i64::MAX`).
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// Binary data.
    Bin(Vec<u8>),
    /// An array.
    Array(Vec<Value>),
    /// A map, its pairs in the order of the data.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The value of a map's string key `key`; `None` when absent or not a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(pairs) => pairs.iter().find(|(k, _)| k.as_str() == Some(key)).map(|p| &p.1),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The MessagePack of this value.
    pub fn encode(&self) -> Vec<u8> {
        Writer::new().value(self).into_bytes()
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bin(v.to_vec())
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::Array(v)
    }
}

/// Decodes `data`, which must be exactly one value.
pub fn decode(data: &[u8]) -> Result<Value, DecodeError> {
    let mut r = Reader::new(data);
    let v = r.value()?;
    if !r.at_end() {
        return r.fail("bytes after the value");
    }
    Ok(v)
}

/// The MessagePack of `v`.
pub fn encode(v: &Value) -> Vec<u8> {
    v.encode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn round_trips() {
        let v = Value::Map(vec![
            ("n".into(), Value::Array(vec![0.into(), (-1).into(), 127.into(), 128.into(),
                (-33).into(), 70000.into(), Value::Int(i64::MIN), Value::Int(i64::MAX)])),
            ("s".into(), "x".repeat(300).into()),
            ("b".into(), Value::Bin(vec![0, 255])),
            ("f".into(), Value::Float(3.5)),
            ("z".into(), Value::Array(vec![Value::Nil, true.into(), false.into()])),
        ]);
        assert_eq!(decode(&v.encode()), Ok(v));
    }

    #[test]
    fn reads_the_short_forms_and_refuses_bad_data() {
        assert_eq!(Reader::new(&[0xcc, 0xff]).int(), Ok(255));
        assert_eq!(Reader::new(&[0xd0, 0xff]).int(), Ok(-1));
        assert_eq!(Reader::new(&[0xcd, 0x01, 0x00]).int(), Ok(256));
        assert!(Reader::new(&[0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0]).int().is_err());
        assert!(Reader::new(&[0xa3, b'a']).str().is_err());
        assert!(decode(&[0x01, 0x02]).is_err());
        assert!(decode(&[0xc1]).is_err());
        let mut r = Reader::new(&[0x92, 0xd4, 0x01, 0x00, 0x81, 0xa1, b'k', 0xc0, 0x07]);
        assert_eq!(r.skip().map(|b| b.len()), Ok(8));
        assert_eq!(r.int(), Ok(7));
    }
}
