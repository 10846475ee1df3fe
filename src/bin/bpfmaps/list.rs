//! `bpfmaps list`: every map in the kernel, one line (or one JSON object) each, written as the
//! walk goes.

use std::io::Write;

use bpfmaps::{Errno, Map, MapInfo, OpenFlags};

use crate::fail::Failure;
use crate::json::Json;
use crate::report;
use crate::text;

pub fn run(json: bool, out: &mut impl Write) -> Result<(), Failure> {
    if json {
        let mut j = Json::new(&mut *out);
        j.begin_array()?;
        walk(|info| {
            j.begin_object()?;
            report::info_fields(&mut j, info)?;
            j.end_object()?;
            Ok(())
        })?;
        j.end_array()?;
    } else {
        writeln!(
            out,
            "{:>6}  {:<21}  {:<15}  {:>5}  {:>6}  {:>11}  FLAGS",
            "ID", "TYPE", "NAME", "KEY", "VALUE", "MAX_ENTRIES"
        )?;
        walk(|info| {
            write!(
                out,
                "{:>6}  {:<21}  {:<15}  {:>5}  {:>6}  {:>11}  {}",
                info.id(),
                text::map_type(info.map_type()),
                info.name().as_str(),
                info.key_size(),
                info.value_size(),
                info.max_entries(),
                text::flags(info.flags())
            )?;
            if info.map_extra() != 0 {
                write!(out, "  map_extra {}", info.map_extra())?;
            }
            writeln!(out)?;
            Ok(())
        })?;
    }
    out.flush()?;
    Ok(())
}

/// Calls `each` with the info of every map, in id order; a map that goes away between the
/// walk and the open is skipped.
fn walk(mut each: impl FnMut(&MapInfo) -> Result<(), Failure>) -> Result<(), Failure> {
    for id in bpfmaps::map_ids() {
        let id = id?;
        match Map::from_id_with(id, OpenFlags::READ_ONLY) {
            Ok(map) => each(map.info())?,
            Err(e) if e.errno() == Some(Errno::ENOENT) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
