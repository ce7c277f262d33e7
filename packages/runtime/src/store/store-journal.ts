/**
 * Rolls back a hot rollback journal — the one a process killed in the middle of a commit leaves — which
 * node-sqlite3-wasm never does by itself: its VFS answers SQLite's "does another connection hold a reserved
 * lock?" (xCheckReservedLock) by whether `<db>.lock` exists, and that directory is the caller's own lock at
 * the moment SQLite asks, so SQLite takes every journal for one a live writer is using and reads the
 * half-written database as it is (a killed transaction's pages visible, or a corrupt b-tree).
 *
 * The journal format (https://www.sqlite.org/fileformat.html#the_rollback_journal): a header (magic
 * d9d505f920a163d7, record count — 0xffffffff: to the end of the file, as written with synchronous=OFF —,
 * checksum nonce, the database's size in pages before the transaction, sector size, page size), padded to
 * the sector size; then records of page number (u32 BE), the page's original content and a checksum (the
 * nonce plus every 200th byte of the page, counting down from pageSize-200); with synchronous on, a new
 * header (and segment) starts at the next sector boundary each time the journal was synced. Playback writes each page back
 * where it came from, stopping at the first record whose checksum does not match (a stale record of an
 * earlier transaction, kept by journal_mode=PERSIST, or a torn write), truncates the database to its size
 * before the transaction, and zeroes the header — as SQLite's pager_playback does.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

const MAGIC = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

/**
 * Rolls back `<dbPath>-journal` if it is hot (its header holds the magic). Call only while holding the
 * database's lock (`<db>.lock` created by the caller), so no live writer can be using the journal.
 * @returns the number of pages written back, or 0 when there was nothing to roll back.
 */
export function rollBackHotJournal(dbPath: string): number {
  let journal: number;
  try {
    journal = openSync(`${dbPath}-journal`, 'r+');
  } catch {
    return 0; // no journal
  }
  try {
    const header = Buffer.alloc(28);
    if (readSync(journal, header, 0, 28, 0) < 28 || !header.subarray(0, 8).equals(MAGIC)) return 0;
    const originalPages = header.readUInt32BE(16);
    const sectorSize = header.readUInt32BE(20);
    const pageSize = header.readUInt32BE(24);
    if (!validPageSize(pageSize) || sectorSize < 32 || sectorSize > 65536 || (sectorSize & (sectorSize - 1)) !== 0) return 0;
    const recordSize = 4 + pageSize + 4;
    const size = fstatSync(journal).size;
    const db = openSync(dbPath, 'r+');
    let written = 0;
    try {
      const record = Buffer.alloc(recordSize);
      // segments: with synchronous on, each sync of the journal starts a new header at a sector boundary
      let offset = 0;
      playback: while (offset + 28 <= size) {
        if (readSync(journal, header, 0, 28, offset) < 28 || !header.subarray(0, 8).equals(MAGIC)) break;
        const declared = header.readUInt32BE(8);
        const nonce = header.readUInt32BE(12);
        offset += sectorSize;
        const available = Math.max(0, Math.floor((size - offset) / recordSize));
        const records = declared === 0xffffffff ? available : Math.min(declared, available);
        for (let i = 0; i < records; i++, offset += recordSize) {
          if (readSync(journal, record, 0, recordSize, offset) < recordSize) break playback;
          const page = record.readUInt32BE(0);
          const data = record.subarray(4, 4 + pageSize);
          if (page === 0 || record.readUInt32BE(4 + pageSize) !== checksum(nonce, data)) break playback;
          if (page > originalPages) continue; // a page the transaction added: the truncation removes it
          writeSync(db, data, 0, pageSize, (page - 1) * pageSize);
          written++;
        }
        if (declared === 0xffffffff || records === 0) break;
        offset = Math.ceil(offset / sectorSize) * sectorSize;
      }
      ftruncateSync(db, originalPages * pageSize);
    } finally {
      closeSync(db);
    }
    writeSync(journal, Buffer.alloc(28), 0, 28, 0); // no longer hot
    return written;
  } finally {
    closeSync(journal);
  }
}

function checksum(nonce: number, data: Buffer): number {
  let sum = nonce;
  for (let i = data.length - 200; i > 0; i -= 200) sum = (sum + data[i]) >>> 0;
  return sum;
}

function validPageSize(size: number): boolean {
  return size >= 512 && size <= 65536 && (size & (size - 1)) === 0;
}
