package io.evasan.nsc.lun.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.mld.MldOptions;
import io.evasan.mld.Mlds;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.raid.drive.QuorumArea;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/** The LUN catalogue as one MLD record per LUN, snapshot and presentation (issue 18 goal 4). */
class MldLunStoreTest {
    /** A quorum area in memory. */
    static final class MemoryArea implements QuorumArea {
        final byte[] bytes = new byte[2 << 20];
        final UUID id = UUID.randomUUID();

        @Override
        public UUID driveId() {
            return id;
        }

        @Override
        public long sizeBytes() {
            return bytes.length;
        }

        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public void read(long offset, ByteBuffer dst) {
            dst.put(bytes, (int) offset, dst.remaining());
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            src.get(bytes, (int) offset, src.remaining());
        }

        @Override
        public void force() {
        }
    }

    /** An MLD that remembers the changes of every commit. */
    static final class RecordingMld implements Mld {
        final Mld mld;
        final List<String> changes = new ArrayList<>();

        RecordingMld(Mld mld) {
            this.mld = mld;
        }

        @Override
        public long generation() {
            return mld.generation();
        }

        @Override
        public Optional<byte[]> get(String kind, String key) {
            return mld.get(kind, key);
        }

        @Override
        public List<String> keys(String kind) {
            return mld.keys(kind);
        }

        @Override
        public void commit(MldBatch batch) {
            mld.commit(batch);
            for (MldBatch.Change c : batch.changes()) {
                changes.add((c.value() == null ? "remove " : "put ") + c.kind() + "/" + c.key());
            }
        }

        @Override
        public int goodCopies() {
            return mld.goodCopies();
        }

        @Override
        public int payloadBytes() {
            return mld.payloadBytes();
        }

        @Override
        public void close() {
            mld.close();
        }
    }

    final List<QuorumArea> areas = List.of(new MemoryArea(), new MemoryArea(), new MemoryArea());

    Mld mld() {
        return Mlds.open(areas, MldOptions.defaults());
    }

    @Test
    void shouldCommitOnlyTheRecordsAChangeTouches() {
        RecordingMld mld = new RecordingMld(mld());
        StoredLunTable t = StoredLunTable.open(new MldLunStore(mld, "nsc0"));
        assertEquals(List.of("put nsc.lunmeta/nsc0"), mld.changes, "a fresh table: only the table record");
        for (int i = 0; i < 200; i++) {
            t.create("lun" + i, LunRecord.Kind.PRIMARY, i, 1 << 20);
        }
        mld.changes.clear();
        LunRecord r = t.create("one more", LunRecord.Kind.PRIMARY, 500, 1 << 20);
        assertEquals(List.of("put nsc.lun/nsc0/200"), mld.changes);
        mld.changes.clear();
        t.present("iqn.h", 3, r.id());
        assertEquals(List.of("put nsc.pres/nsc0/3/iqn.h"), mld.changes);
        mld.changes.clear();
        SnapshotRecord s = t.addSnapshot(new SnapshotRecord("snap", r.id(), 900, 1, false, 5));
        t.present("iqn.h", 4, s.id());
        assertEquals(List.of("put nsc.snap/nsc0/" + s.id(), "put nsc.pres/nsc0/4/iqn.h"), mld.changes);
        mld.changes.clear();
        t.remove(r.id());
        assertEquals(List.of("remove nsc.lun/nsc0/200", "remove nsc.snap/nsc0/" + s.id(), "remove nsc.pres/nsc0/3/iqn.h",
                "remove nsc.pres/nsc0/4/iqn.h"), mld.changes.stream().sorted(this::byOp).toList());
        mld.changes.clear();
        t.setBackupDisks(7, 8);
        assertEquals(List.of("put nsc.lunmeta/nsc0"), mld.changes);
    }

    private int byOp(String a, String b) {
        return Integer.compare(rank(a), rank(b)) != 0 ? Integer.compare(rank(a), rank(b)) : a.compareTo(b);
    }

    private static int rank(String c) {
        return c.contains("nsc.lun/") ? 0 : c.contains("nsc.snap/") ? 1 : 2;
    }

    @Test
    void shouldReopenExactlyTheLastState() {
        Mld mld = mld();
        StoredLunTable t = StoredLunTable.open(new MldLunStore(mld, "nsc0"));
        for (int i = 0; i < 12; i++) {
            t.create("lun" + i, i % 5 == 0 ? LunRecord.Kind.LOG : LunRecord.Kind.PRIMARY, i, (i + 1) << 20);
        }
        t.remove(3);
        t.create("reuses 3", LunRecord.Kind.PRIMARY, 77, 4096);
        t.present("iqn.z", 9, 1);
        t.present("*", 0, 2);
        t.present("iqn.a", 5, 4);
        t.addSnapshot(new SnapshotRecord("s2", 2, 100, 7, true, 11));
        t.addSnapshot(new SnapshotRecord("s1", 1, 101, 8, false, 12));
        t.removeSnapshot("s2");
        t.addSnapshot(new SnapshotRecord("s3", 1, 102, 9, false, 13)); // takes the lowest free id again
        t.present("iqn.z", 10, t.snapshotByName("s3").id());
        t.unpresent("*", 0);
        t.setBackupDisks(55, 56);
        Mld reopened = mld();
        StoredLunTable again = StoredLunTable.open(new MldLunStore(reopened, "nsc0"));
        assertEquals(t.luns(), again.luns());
        assertEquals(t.presentations(), again.presentations(), "in the order they were added");
        assertEquals(t.snapshots(), again.snapshots(), "in the order they were added");
        assertEquals(55, again.backupSnapshotDisk());
        assertEquals(56, again.backupLogDisk());
        assertEquals(t.generation() + 1, again.generation());
        StoredLunTable other = StoredLunTable.open(new MldLunStore(reopened, "nsc1"));
        assertTrue(other.luns().isEmpty(), "each controller has its own records");
    }

    /** Written by {@code LunTableDescriptor} version 3 (2026-12-07): what earlier releases stored as the MLD record nsc.luns/nsc0. */
    static final String OLD_WHOLE_TABLE = "45564c554e54424c03000000c3000000e1242ec40000000005000000000000000200000000000000003412000000000000090000000000000000100000000000000100610200000001fbffffffffffffffffffffffffffffff000010000000000003006c6f6703000000000000000000000001002a0200000007000000050069716e2e780100000008000000050069716e2e780100000000000000010b0000000000000003000000050000000068e5cf8b01000001000000785600000000000000100000000000000100732a000000000000002b00000000000000";

    @Test
    void shouldMigrateTheWholeTableRecordOfEarlierReleasesInOneCommit() {
        Mld mld = mld();
        mld.commit(new MldBatch().put(MldLunStore.LEGACY_KIND, "nsc0", HexFormat.of().parseHex(OLD_WHOLE_TABLE)));
        long before = mld.generation();
        StoredLunTable t = StoredLunTable.open(new MldLunStore(mld, "nsc0"));
        assertEquals(before + 1, mld.generation(), "one atomic commit replaces the old record");
        assertTrue(mld.get(MldLunStore.LEGACY_KIND, "nsc0").isEmpty());
        assertEquals(List.of("0", "2"), mld.keys("nsc.lun/nsc0"));
        assertEquals(List.of("1"), mld.keys("nsc.snap/nsc0"));
        assertEquals(List.of("0/*", "7/iqn.x", "8/iqn.x"), mld.keys("nsc.pres/nsc0"));
        assertEquals(6, t.generation());
        List<LunRecord> luns = List.of(new LunRecord(0, "a", LunRecord.Kind.PRIMARY, 0x1234L, 9, 4096),
                new LunRecord(2, "log", LunRecord.Kind.LOG, -5L, -1, 1 << 20));
        List<Presentation> pres = List.of(new Presentation("*", 0, 0), new Presentation("iqn.x", 7, 2),
                new Presentation("iqn.x", 8, 1));
        List<SnapshotRecord> snaps = List.of(new SnapshotRecord("s", 0, 11, (5L << 32) | 3, true, 1700000000000L, 1,
                0x5678L, 4096));
        assertEquals(luns, t.luns());
        assertEquals(pres, t.presentations());
        assertEquals(snaps, t.snapshots());
        assertEquals(42, t.backupSnapshotDisk());
        assertEquals(43, t.backupLogDisk());
        StoredLunTable again = StoredLunTable.open(new MldLunStore(mld(), "nsc0"));
        assertEquals(luns, again.luns());
        assertEquals(pres, again.presentations());
        assertEquals(snaps, again.snapshots());
        assertEquals(7, again.generation());
    }

    @Test
    void shouldRefuseADamagedRecordNamingItAndChangeNothing() {
        Mld mld = mld();
        StoredLunTable t = StoredLunTable.open(new MldLunStore(mld, "nsc0"));
        t.create("a", LunRecord.Kind.PRIMARY, 1, 4096);
        byte[] rec = mld.get("nsc.lun/nsc0", "0").orElseThrow();
        rec[5] ^= 1;
        mld.commit(new MldBatch().put("nsc.lun/nsc0", "0", rec));
        long gen = mld.generation();
        StorageException e = assertThrows(StorageException.class, () -> StoredLunTable.open(new MldLunStore(mld, "nsc0")));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        assertEquals("LUN catalogue record nsc.lun/nsc0/0: checksum mismatch", e.getMessage());
        assertEquals(gen, mld.generation(), "the refused open wrote nothing");
        mld.commit(new MldBatch().put("nsc.lun/nsc0", "7", io.evasan.nsc.lun.LunCatalogDescriptor.encodeLun(t.byId(0)))
                .remove("nsc.lun/nsc0", "0"));
        assertEquals("LUN catalogue record nsc.lun/nsc0/7 holds the record of key 0",
                assertThrows(StorageException.class, () -> StoredLunTable.open(new MldLunStore(mld, "nsc0"))).getMessage());
    }
}
