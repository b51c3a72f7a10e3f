//! ESC/POS: the command language of thermal receipt printers (Epson, Elgin, Bematech, Daruma...).
//!
//! The commands come from the `escpos` crate (the maintained ESC/POS driver of the Rust ecosystem:
//! a typed command set, code page tables and drivers for files, USB, serial and the network) with
//! its default features off, so it brings no USB or image libraries. It writes to a driver; ours
//! collects the bytes, which the REST server sends as they are and [`print_to_path`] writes to a
//! printer's device file (`/dev/usb/lp0`), a serial port or a plain file.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{PageCode, Protocol};

use super::layout::Row;
use super::{ReceiptDocument, ReceiptLayout};
use crate::error::{Error, Result};

/// Collects what the printer would be sent.
#[derive(Clone, Default)]
struct Bytes(Rc<RefCell<Vec<u8>>>);

impl Driver for Bytes {
    fn name(&self) -> String {
        "memory".to_string()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.try_borrow_mut()?.extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// Code page 860 (Portuguese) holds every letter of Portuguese; thermal printers sold in Brazil
/// all have it.
const PAGE_CODE: PageCode = PageCode::PC860;

/// The non-ASCII characters of code page 860 a receipt may need.
const PORTUGUESE: &str = "ÇüéâãàÁçêÊèÍÔìÃÂÉÀÈôõòÚùÌÕÜ£ÙÓáíóúñѪº°";

/// What the printer can show of `c`: itself, or `?` for a character code page 860 lacks (the
/// crate would otherwise send its UTF-8 bytes, which print as several wrong characters and shift
/// the columns).
fn printable(c: char) -> char {
    if (' '..='~').contains(&c) || PORTUGUESE.contains(c) {
        c
    } else {
        '?'
    }
}

fn printer_error(error: escpos::errors::PrinterError) -> Error {
    Error::Internal {
        message: format!("ESC/POS rendering failed: {error}"),
    }
}

/// The rows as ESC/POS commands: initialise, select the code page, print each row (bold where
/// asked), feed and cut.
pub(super) fn render(rows: &[Row]) -> Result<Vec<u8>> {
    let bytes = Bytes::default();
    let options = PrinterOptions::new(Some(PAGE_CODE), None, 48);
    let mut printer = Printer::new(bytes.clone(), Protocol::default(), Some(options));
    printer.init().map_err(printer_error)?;
    let mut bold = false;
    for row in rows {
        if row.bold != bold {
            bold = row.bold;
            printer.bold(bold).map_err(printer_error)?;
        }
        let text: String = row.text.chars().map(printable).collect();
        printer.writeln(&text).map_err(printer_error)?;
    }
    if bold {
        printer.bold(false).map_err(printer_error)?;
    }
    printer
        .feeds(3)
        .and_then(|p| p.print_cut())
        .map_err(printer_error)?;
    drop(printer);
    let out = bytes.0.take();
    Ok(out)
}

/// Prints `document` on the ESC/POS printer at `path`: a device file (`/dev/usb/lp0`,
/// `/dev/ttyUSB0`), or a regular file, which is created if missing and appended to (a spool a
/// print service picks up).
///
/// The whole receipt is rendered before the device is opened, and written in one call, so a
/// failure leaves nothing half printed by us.
pub fn print_to_path(document: &ReceiptDocument, layout: ReceiptLayout, path: &Path) -> Result<()> {
    let bytes = document.render_escpos(layout)?;
    let unavailable = |error: std::io::Error| Error::Unavailable {
        message: format!("printer {}: {error}", path.display()),
    };
    let mut device = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(unavailable)?;
    device.write_all(&bytes).map_err(unavailable)?;
    device.flush().map_err(unavailable)
}
