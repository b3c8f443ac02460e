//! Just enough ELF to find a shared library's class, machine and `DT_SONAME`.
//!
//! Layout facts from the System V gABI (`elf.h`): `e_ident` holds the magic
//! `\x7fELF`, the class (1 = 32-bit, 2 = 64-bit) at byte 4 and the data encoding
//! (1 = little, 2 = big endian) at byte 5; `e_type` is at 16 and `e_machine` at 18.
//! Program headers start at `e_phoff` (32-bit: offset 28, 4 bytes; 64-bit: 32, 8
//! bytes), each `e_phentsize` bytes (32-bit: 42; 64-bit: 54), `e_phnum` of them
//! (32-bit: 44; 64-bit: 56); `e_flags` is at 36 (32-bit) or 48 (64-bit). A program
//! header's `p_type` is at 0; `p_offset`, `p_vaddr` and `p_filesz` are at 4, 8, 16
//! (32-bit) or 8, 16, 32 (64-bit). `PT_LOAD` = 1 and `PT_DYNAMIC` = 2. The dynamic
//! section is a list of (tag, value) pairs of 2 words; `DT_NULL` = 0 ends it,
//! `DT_STRTAB` = 5 gives the string table's address and `DT_SONAME` = 14 an offset
//! into it.

/// `ET_DYN`: a shared object.
const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_NULL: u64 = 0;
const DT_STRTAB: u64 = 5;
const DT_SONAME: u64 = 14;

/// What the cache needs to know about a shared object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SharedObject {
    /// 64-bit (`ELFCLASS64`).
    pub elf64: bool,
    /// `e_machine`.
    pub machine: u16,
    /// `DT_SONAME`, if the object has one.
    pub soname: Option<String>,
}

/// Reads `bytes` as an ELF shared object; `None` for anything else (scripts,
/// executables, truncated or odd files).
pub(crate) fn shared_object(bytes: &[u8]) -> Option<SharedObject> {
    if bytes.get(..4)? != b"\x7fELF" {
        return None;
    }
    let elf64 = match bytes.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let big = match bytes.get(5)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let elf = Elf { bytes, elf64, big };
    if elf.u16(16)? != ET_DYN {
        return None;
    }
    let machine = elf.u16(18)?;
    let segments = elf.segments()?;
    let dynamic = segments.iter().find(|s| s.kind == PT_DYNAMIC)?;
    let soname = elf.soname(dynamic, &segments);
    Some(SharedObject {
        elf64,
        machine,
        soname,
    })
}

struct Elf<'a> {
    bytes: &'a [u8],
    elf64: bool,
    big: bool,
}

struct Segment {
    kind: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

impl Elf<'_> {
    fn raw<const N: usize>(&self, at: u64) -> Option<[u8; N]> {
        let start = usize::try_from(at).ok()?;
        self.bytes.get(start..start.checked_add(N)?)?.try_into().ok()
    }

    fn u16(&self, at: u64) -> Option<u16> {
        let raw = self.raw::<2>(at)?;
        Some(if self.big {
            u16::from_be_bytes(raw)
        } else {
            u16::from_le_bytes(raw)
        })
    }

    fn u32(&self, at: u64) -> Option<u32> {
        let raw = self.raw::<4>(at)?;
        Some(if self.big {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        })
    }

    fn u64(&self, at: u64) -> Option<u64> {
        let raw = self.raw::<8>(at)?;
        Some(if self.big {
            u64::from_be_bytes(raw)
        } else {
            u64::from_le_bytes(raw)
        })
    }

    /// A word: 4 bytes in 32-bit objects, 8 in 64-bit ones.
    fn word(&self, at: u64) -> Option<u64> {
        if self.elf64 {
            self.u64(at)
        } else {
            self.u32(at).map(u64::from)
        }
    }

    fn segments(&self) -> Option<Vec<Segment>> {
        let (phoff, phentsize, phnum) = if self.elf64 {
            (self.u64(32)?, self.u16(54)?, self.u16(56)?)
        } else {
            (u64::from(self.u32(28)?), self.u16(42)?, self.u16(44)?)
        };
        (0..u64::from(phnum))
            .map(|i| {
                let at = phoff.checked_add(i.checked_mul(u64::from(phentsize))?)?;
                let (offset, vaddr, filesz) = if self.elf64 {
                    (self.u64(at + 8)?, self.u64(at + 16)?, self.u64(at + 32)?)
                } else {
                    (
                        u64::from(self.u32(at + 4)?),
                        u64::from(self.u32(at + 8)?),
                        u64::from(self.u32(at + 16)?),
                    )
                };
                Some(Segment {
                    kind: self.u32(at)?,
                    offset,
                    vaddr,
                    filesz,
                })
            })
            .collect()
    }

    fn soname(&self, dynamic: &Segment, segments: &[Segment]) -> Option<String> {
        let entry = if self.elf64 { 16 } else { 8 };
        let half = entry / 2;
        let (mut strtab, mut soname) = (None, None);
        for i in 0..dynamic.filesz / entry {
            let at = dynamic.offset.checked_add(i * entry)?;
            match self.word(at)? {
                DT_NULL => break,
                DT_STRTAB => strtab = Some(self.word(at + half)?),
                DT_SONAME => soname = Some(self.word(at + half)?),
                _ => {}
            }
        }
        let (strtab, soname) = (strtab?, soname?);
        let load = segments
            .iter()
            .filter(|s| s.kind == PT_LOAD)
            .find(|s| (s.vaddr..s.vaddr.saturating_add(s.filesz)).contains(&strtab))?;
        let start = strtab
            .checked_sub(load.vaddr)?
            .checked_add(load.offset)?
            .checked_add(soname)?;
        let tail = self.bytes.get(usize::try_from(start).ok()?..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        String::from_utf8(tail.get(..end)?.to_vec()).ok()
    }
}

/// Builds minimal ELF shared objects for tests: one `PT_LOAD` over the whole file,
/// one `PT_DYNAMIC` with `DT_STRTAB`, optionally `DT_SONAME`, and `DT_NULL`.
#[cfg(test)]
pub(crate) fn test_object(elf64: bool, machine: u16, soname: Option<&str>) -> Vec<u8> {
    let word = if elf64 { 8 } else { 4 };
    let (ehsize, phentsize) = if elf64 { (64, 56) } else { (52, 32) };
    let phoff = ehsize;
    let dynamic_at = phoff + 2 * phentsize;
    let dynamic_len = 3 * 2 * word;
    let strtab_at = dynamic_at + dynamic_len;
    let mut strtab = vec![0u8];
    strtab.extend_from_slice(soname.unwrap_or("").as_bytes());
    strtab.push(0);
    let total = strtab_at + strtab.len();

    let mut out = vec![0u8; total];
    let put = |out: &mut Vec<u8>, at: usize, value: u64, width: usize| {
        out[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
    };
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = if elf64 { 2 } else { 1 };
    out[5] = 1;
    out[6] = 1;
    put(&mut out, 16, u64::from(ET_DYN), 2);
    put(&mut out, 18, u64::from(machine), 2);
    if elf64 {
        put(&mut out, 32, phoff as u64, 8);
        put(&mut out, 54, phentsize as u64, 2);
        put(&mut out, 56, 2, 2);
    } else {
        put(&mut out, 28, phoff as u64, 4);
        put(&mut out, 42, phentsize as u64, 2);
        put(&mut out, 44, 2, 2);
    }
    let segment = |out: &mut Vec<u8>, at: usize, kind: u32, offset: usize, size: usize| {
        put(out, at, u64::from(kind), 4);
        if elf64 {
            put(out, at + 8, offset as u64, 8);
            put(out, at + 16, offset as u64, 8);
            put(out, at + 32, size as u64, 8);
        } else {
            put(out, at + 4, offset as u64, 4);
            put(out, at + 8, offset as u64, 4);
            put(out, at + 16, size as u64, 4);
        }
    };
    segment(&mut out, phoff, PT_LOAD, 0, total);
    segment(&mut out, phoff + phentsize, PT_DYNAMIC, dynamic_at, dynamic_len);
    let mut at = dynamic_at;
    let mut tags = vec![(DT_STRTAB, strtab_at as u64)];
    if soname.is_some() {
        tags.push((DT_SONAME, 1));
    }
    tags.push((DT_NULL, 0));
    for (tag, value) in tags {
        put(&mut out, at, tag, word);
        put(&mut out, at + word, value, word);
        at += 2 * word;
    }
    out[strtab_at..].copy_from_slice(&strtab);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soname_is_read_from_both_classes() {
        for elf64 in [true, false] {
            let so = shared_object(&test_object(elf64, 62, Some("libfoo.so.1"))).unwrap();
            assert_eq!(
                so,
                SharedObject {
                    elf64,
                    machine: 62,
                    soname: Some("libfoo.so.1".into())
                }
            );
        }
        assert_eq!(shared_object(&test_object(true, 183, None)).unwrap().soname, None);
    }

    #[test]
    fn non_elf_and_truncated_objects_are_not_shared_objects() {
        assert!(shared_object(b"/* GNU ld script */ INPUT(libc.so.6)").is_none());
        let whole = test_object(true, 62, Some("libfoo.so.1"));
        for cut in [3, 17, 60, 100, whole.len() - 3] {
            assert!(
                shared_object(&whole[..cut]).is_none_or(|so| so.soname.is_none()),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn host_libc_soname_is_read() {
        let candidates = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/aarch64-linux-gnu/libc.so.6",
        ];
        let bytes = candidates
            .iter()
            .find_map(|p| std::fs::read(p).ok())
            .expect("a Debian host has libc");
        let so = shared_object(&bytes).unwrap();
        assert_eq!(so.soname.as_deref(), Some("libc.so.6"));
        assert!(so.elf64);
    }
}
