//! Just enough ELF to find an object's class, machine, `DT_SONAME`, `DT_NEEDED`,
//! `DT_RPATH`/`DT_RUNPATH` and program interpreter.
//!
//! Layout facts from the System V gABI (`elf.h`): `e_ident` holds the magic
//! `\x7fELF`, the class (1 = 32-bit, 2 = 64-bit) at byte 4 and the data encoding
//! (1 = little, 2 = big endian) at byte 5; `e_type` is at 16 and `e_machine` at 18.
//! Program headers start at `e_phoff` (32-bit: offset 28, 4 bytes; 64-bit: 32, 8
//! bytes), each `e_phentsize` bytes (32-bit: 42; 64-bit: 54), `e_phnum` of them
//! (32-bit: 44; 64-bit: 56); `e_flags` is at 36 (32-bit) or 48 (64-bit). A program
//! header's `p_type` is at 0; `p_offset`, `p_vaddr` and `p_filesz` are at 4, 8, 16
//! (32-bit) or 8, 16, 32 (64-bit). `PT_LOAD` = 1, `PT_DYNAMIC` = 2 and `PT_INTERP` = 3
//! (a NUL-terminated path). The dynamic section is a list of (tag, value) pairs of 2
//! words; `DT_NULL` = 0 ends it, `DT_STRTAB` = 5 gives the string table's address, and
//! `DT_NEEDED` = 1, `DT_SONAME` = 14, `DT_RPATH` = 15 and `DT_RUNPATH` = 29 offsets
//! into it.

/// `ET_EXEC`: an executable at a fixed address.
const ET_EXEC: u16 = 2;
/// `ET_DYN`: a shared object (or a position-independent executable).
const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_SONAME: u64 = 14;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;

/// The ELF machine (`EM_*` from `elf.h`) of a Debian architecture's programs.
pub fn machine_for(arch: &str) -> Option<u16> {
    Some(match arch {
        "amd64" => 62,
        "arm64" => 183,
        "i386" => 3,
        "armhf" => 40,
        "ppc64el" => 21,
        "s390x" => 22,
        "riscv64" => 243,
        _ => return None,
    })
}

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
    let object = object(bytes)?;
    if object.kind != ET_DYN {
        return None;
    }
    Some(SharedObject {
        elf64: object.elf64,
        machine: object.machine,
        soname: object.soname,
    })
}

/// What the dynamic loader reads of an executable or shared object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Object {
    /// 64-bit (`ELFCLASS64`).
    pub elf64: bool,
    /// `e_machine`.
    pub machine: u16,
    /// `e_type`: 2 for a fixed-address executable, 3 for a shared object or PIE.
    pub kind: u16,
    /// `PT_INTERP`: the program interpreter (`/lib64/ld-linux-x86-64.so.2`).
    pub interpreter: Option<String>,
    /// `DT_SONAME`.
    pub soname: Option<String>,
    /// `DT_NEEDED`, in order.
    pub needed: Vec<String>,
    /// `DT_RUNPATH` (or `DT_RPATH` when there is no `DT_RUNPATH`), split at `:`.
    pub search_path: Vec<String>,
}

/// Reads `bytes` as an ELF executable or shared object; `None` for anything else
/// (scripts, relocatable objects, core files, truncated or odd files). A static
/// executable has no `needed` libraries.
pub fn object(bytes: &[u8]) -> Option<Object> {
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
    let kind = elf.u16(16)?;
    if kind != ET_EXEC && kind != ET_DYN {
        return None;
    }
    let segments = elf.segments()?;
    let interpreter = segments
        .iter()
        .find(|s| s.kind == PT_INTERP)
        .and_then(|s| elf.string_at(s.offset));
    let mut object = Object {
        elf64,
        machine: elf.u16(18)?,
        kind,
        interpreter,
        ..Object::default()
    };
    if let Some(dynamic) = segments.iter().find(|s| s.kind == PT_DYNAMIC) {
        elf.read_dynamic(dynamic, &segments, &mut object);
    }
    Some(object)
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
                    (
                        self.u64(at.checked_add(8)?)?,
                        self.u64(at.checked_add(16)?)?,
                        self.u64(at.checked_add(32)?)?,
                    )
                } else {
                    (
                        u64::from(self.u32(at.checked_add(4)?)?),
                        u64::from(self.u32(at.checked_add(8)?)?),
                        u64::from(self.u32(at.checked_add(16)?)?),
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

    /// Fills `object`'s soname, needed libraries and search path from the dynamic
    /// section; what cannot be read stays empty.
    fn read_dynamic(&self, dynamic: &Segment, segments: &[Segment], object: &mut Object) {
        let entry = if self.elf64 { 16 } else { 8 };
        let half = entry / 2;
        let mut strtab = None;
        let mut tags: Vec<(u64, u64)> = Vec::new();
        for i in 0..dynamic.filesz / entry {
            let Some(at) = dynamic.offset.checked_add(i * entry) else {
                break;
            };
            let (Some(tag), Some(value)) = (self.word(at), at.checked_add(half).and_then(|a| self.word(a)))
            else {
                break;
            };
            match tag {
                DT_NULL => break,
                DT_STRTAB => strtab = Some(value),
                DT_NEEDED | DT_SONAME | DT_RPATH | DT_RUNPATH => tags.push((tag, value)),
                _ => {}
            }
        }
        let Some(strtab) = strtab.and_then(|address| file_offset(segments, address)) else {
            return;
        };
        let string = |offset: u64| self.string_at(strtab.checked_add(offset)?);
        let (mut rpath, mut runpath) = (None, None);
        for (tag, offset) in tags {
            let Some(text) = string(offset) else { continue };
            match tag {
                DT_NEEDED => object.needed.push(text),
                DT_SONAME => object.soname = Some(text),
                DT_RPATH => rpath = Some(text),
                _ => runpath = Some(text),
            }
        }
        if let Some(path) = runpath.or(rpath) {
            object.search_path = path
                .split(':')
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect();
        }
    }

    /// The NUL-terminated UTF-8 string at file offset `at`.
    fn string_at(&self, at: u64) -> Option<String> {
        let tail = self.bytes.get(usize::try_from(at).ok()?..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        String::from_utf8(tail.get(..end)?.to_vec()).ok()
    }
}

/// The file offset of virtual `address`, through the `PT_LOAD` segment that maps it.
fn file_offset(segments: &[Segment], address: u64) -> Option<u64> {
    let load = segments
        .iter()
        .filter(|s| s.kind == PT_LOAD)
        .find(|s| (s.vaddr..s.vaddr.saturating_add(s.filesz)).contains(&address))?;
    address.checked_sub(load.vaddr)?.checked_add(load.offset)
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

    #[test]
    fn program_headers_at_the_end_of_the_address_space_are_not_read() {
        // Found by the `elf` fuzz target: e_phoff near u64::MAX overflowed `at + 8`.
        let mut bytes = test_object(true, 62, Some("libfoo.so.1"));
        bytes[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(object(&bytes), None);
    }

    #[test]
    fn host_executable_names_its_interpreter_and_libraries() {
        let bytes = std::fs::read("/usr/bin/ls").expect("a Debian host has coreutils");
        let ls = object(&bytes).unwrap();
        assert!(ls.interpreter.as_deref().is_some_and(|i| i.contains("/ld-linux")));
        assert!(ls.needed.iter().any(|n| n == "libc.so.6"), "{:?}", ls.needed);
        assert_eq!(ls.soname, None);
        assert!(object(b"#!/bin/sh\necho hi\n").is_none());
    }
}
