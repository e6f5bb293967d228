package io.evasan.mapping.pldmc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A record torn in both copies with valid records after it is a power cut's work when no force covered it (the log
 * ends there), and damage when a FORCED record (fsync-off mode) or a SYNC_TXN (fsync mode) after it proves it had
 * been forced: judged by how the log was written, not by the mode that opens it.
 */
class PldmcForcedRecordTest {
    @TempDir
    Path dir;

    /** Records every SET (disk, segment, entry) it is given. */
    static final class Sets implements Txn.OpVisitor {
        final List<int[]> sets = new ArrayList<>();

        @Override public void set(int disk, int segment, int entry) { sets.add(new int[] {disk, segment, entry}); }
        @Override public void rsdAdd(int group, int slot, long rsdId) { }
        @Override public void rsdFree(int group, int slot) { }
        @Override public void clone(int src, int dst, int srcBits, int dstBits) { }
        @Override public void drop(int disk) { }
        @Override public void truncate(int disk, int fromSegment) { }
        @Override public void created(int disk) { }
    }

    private void append(PldmcLog log, int segment) {
        Txn t = new Txn();
        t.set(1, segment, 100 + segment);
        log.append(t);
    }

    /** Record start offsets of copy {@code c} of the current generation. */
    private static List<Integer> starts(Path f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        List<Integer> out = new ArrayList<>();
        for (int pos = PldmcLogDescriptor.FILE_HEADER_LENGTH; pos + 4 <= b.limit() && b.getInt(pos) > 0; pos += b.getInt(pos)) {
            out.add(pos);
        }
        return out;
    }

    private static void tear(Path f, long recordStart) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(recordStart + PldmcLogDescriptor.REC_OPS_OFFSET + 1);   // inside the ops: length field intact
            r.write(new byte[] {0x3C, 0x3C, 0x3C, 0x3C});
        }
    }

    @Test
    void shouldEndTheLogAtATornRecordThatNoForceCovered() throws IOException {
        Path a;
        Path b;
        try (PldmcLog log = PldmcLog.open(dir, false, 1 << 20, new Sets())) {
            append(log, 1);
            log.force();          // segment 1 durable, then a FORCED record
            append(log, 2);
            append(log, 3);       // 2 and 3 never forced
            a = log.currentFile('a');
            b = log.currentFile('b');
        }
        List<Integer> s = starts(a);
        int torn = s.get(s.size() - 2);   // segment 2's record: torn, segment 3's landed (reordered)
        tear(a, torn);
        tear(b, torn);
        Sets replayed = new Sets();
        try (PldmcLog log = PldmcLog.open(dir, false, 1 << 20, replayed)) {
            assertEquals(torn, log.sizeBytes(), "the log ends at the torn record");
        }
        assertEquals(1, replayed.sets.size(), "only the forced change survives");
        assertEquals(1, replayed.sets.get(0)[1]);
    }

    @Test
    void shouldRefuseToDropARecordThatAForceCovered() throws IOException {
        Path a;
        Path b;
        try (PldmcLog log = PldmcLog.open(dir, false, 1 << 20, new Sets())) {
            append(log, 1);
            append(log, 2);
            log.force();          // 1 and 2 durable, then a FORCED record
            append(log, 3);
            a = log.currentFile('a');
            b = log.currentFile('b');
        }
        List<Integer> s = starts(a);
        int victim = s.get(s.size() - 3);   // segment 2's record, before the FORCED one
        tear(a, victim);
        tear(b, victim);
        StorageException e = assertThrows(StorageException.class, () -> PldmcLog.open(dir, false, 1 << 20, new Sets()));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        assertTrue(e.getMessage().contains("damaged in both copies"), e.getMessage());
    }

    /**
     * SnapshotPowerCutTest (seed -4277299588526785379, mapFsync false) wrote the log in fsync-off mode and reopened it
     * after the cut with the default options (fsync on): the unforced tail's torn record was taken for damage.
     */
    @Test
    void shouldEndAnFsyncOffLogAtItsTornUnforcedRecordWhenOpenedInFsyncMode() throws IOException {
        try (PldmcLog log = PldmcLog.open(dir, false, 1 << 20, new Sets())) {
            append(log, 1);
            log.force();
            append(log, 2);
            append(log, 3);       // 2 and 3 never forced
        }
        List<Integer> s = starts(dir.resolve(PldmcLogDescriptor.fileName(1, 'a')));
        int torn = s.get(s.size() - 2);
        for (char c : new char[] {'a', 'b'}) {
            tear(dir.resolve(PldmcLogDescriptor.fileName(1, c)), torn);
        }
        Sets replayed = new Sets();
        try (PldmcLog log = PldmcLog.open(dir, true, 1 << 20, replayed)) {
            assertEquals(torn, log.sizeBytes(), "the log ends at the torn record");
            append(log, 4);
        }
        assertEquals(1, replayed.sets.size(), "only the forced change survives");
        Sets again = new Sets();
        try (PldmcLog log = PldmcLog.open(dir, false, 1 << 20, again)) {
            assertEquals(List.of(1, 4), again.sets.stream().map(x -> x[1]).toList(), "appended after the torn tail");
        }
    }

    /** The other way round: a log written in fsync mode keeps refusing a record damaged in the middle. */
    @Test
    void shouldRefuseAnFsyncLogsDamagedMiddleRecordWhenOpenedInFsyncOffMode() throws IOException {
        try (PldmcLog log = PldmcLog.open(dir, true, 1 << 20, new Sets())) {
            append(log, 1);
            append(log, 2);
            append(log, 3);       // each forced when appended
        }
        List<Integer> s = starts(dir.resolve(PldmcLogDescriptor.fileName(1, 'a')));
        int victim = s.get(s.size() - 2);
        for (char c : new char[] {'a', 'b'}) {
            tear(dir.resolve(PldmcLogDescriptor.fileName(1, c)), victim);
        }
        StorageException e = assertThrows(StorageException.class, () -> PldmcLog.open(dir, false, 1 << 20, new Sets()));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        assertTrue(e.getMessage().contains("damaged in both copies"), e.getMessage());
    }

    @Test
    void shouldWriteOneForcedRecordPerForceThatHadSomethingNew() throws IOException {
        try (PldmcLog log = PldmcLog.open(dir, false, 1 << 20, new Sets())) {
            long empty = log.sizeBytes();
            log.force();
            assertEquals(empty, log.sizeBytes(), "nothing appended: no FORCED record");
            append(log, 1);
            long one = log.sizeBytes();
            log.force();
            long marked = log.sizeBytes();
            assertEquals(PldmcLogDescriptor.REC_MIN_LENGTH, marked - one, "an empty FORCED record");
            log.force();
            assertEquals(marked, log.sizeBytes(), "a second force adds nothing");
        }
        try (PldmcLog log = PldmcLog.open(dir, true, 1 << 20, new Sets())) {
            append(log, 2);
            long before = log.sizeBytes();
            log.force();
            assertEquals(before, log.sizeBytes(), "fsync mode forces each record: no FORCED records");
        }
    }
}
