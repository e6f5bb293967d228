package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.Nsc;
import io.evasan.nsc.lun.impl.FileLunStore;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LUN table survives a controller reopen; damage is detected, not trusted. */
class LunTablePersistenceTest {

    @Test
    void shouldRestoreLunsPresentationsSnapshotsAndIdentityOnReopen() throws Exception {
        try (Nsc n = new Nsc("table-reopen")) {
            n.ctl.createLun("a", 2L << 20);
            n.ctl.createLun("b", 1L << 20);
            n.ctl.defineLogLun("log", 4L * Nsc.SEG);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            n.ctl.presentLun("*", 3, "b");
            n.ctl.presentLun(Nsc.HOST, 1, "log");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] data = Nsc.pattern(16 * 512, 21);
            assertTrue(n.runNoUa(x, 0, Nsc.write10(40, 16, false), data, data.length).good());
            n.ctl.snapshot("a", "a-snap", false).taken().get();
            List<LunRecord> luns = n.ctl.listLuns();
            List<Presentation> pres = n.ctl.listPresentations();
            List<SnapshotRecord> snaps = n.ctl.listSnapshots();
            byte[] naa = n.ctl.logicalUnit("a").naaIdentifier();
            String serial = n.ctl.logicalUnit("a").serialNumber();

            n.reopen();
            assertEquals(luns, n.ctl.listLuns());
            assertEquals(pres, n.ctl.listPresentations());
            assertEquals(snaps, n.ctl.listSnapshots());
            LogicalUnit a = n.ctl.logicalUnit("a");
            assertArrayEquals(naa, a.naaIdentifier(), "stable NAA identifier");
            assertEquals(serial, a.serialNumber());
            ItNexus y = n.nexus(Nsc.HOST);
            Nsc.Result r = n.runNoUa(y, 0, Nsc.read10(40, 16), null, data.length);
            assertArrayEquals(data, r.data, "data through the restored presentation");
            assertTrue(n.runNoUa(n.nexus("iqn.any"), 3, Nsc.tur(), null, 0).good(), "'*' presentation restored");
            assertEquals(SenseCodes.NOT_READY_CAUSE_NOT_REPORTABLE, n.runNoUa(y, 1, Nsc.tur(), null, 0).sense,
                    "the log LUN is the backup LUN again (no snapshot after a restart)");
            assertArrayEquals(data, n.readDisk(snaps.get(0).disk(), 40L * 512, data.length), "snapshot disk kept");
            // distinct LUNs get distinct identities
            assertTrue(!java.util.Arrays.equals(naa, n.ctl.logicalUnit("b").naaIdentifier()));
        }
    }

    @Test
    void shouldEndAnActiveSnapshotBackupOnReopen() throws Exception {
        try (Nsc n = new Nsc("table-backup")) {
            n.ctl.createLun("a", 1L << 20);
            n.ctl.defineLogLun("log", 4L * Nsc.SEG);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] c = new byte[10];
            io.evasan.scsi.vendor.DcmdDescriptor.encodeSnapshot(c, true);
            assertTrue(n.runNoUa(x, 0, c, null, 0).good());
            byte[] data = Nsc.pattern(4 * 512, 3);
            assertTrue(n.runNoUa(x, 0, Nsc.write10(8, 4, true), data, data.length).good());
            long snap = n.ctl.backupEngine().activeSnapshotDisk();
            long log = n.ctl.backupEngine().activeLogDisk();
            assertEquals(4, n.ctl.backupEngine().logUsedSectors(), "the write's old sectors are in the log");
            assertEquals(java.util.Set.of(n.ctl.listLuns().get(0).disk(), snap, log), java.util.Set.copyOf(n.trees.disks()),
                    "the primary, the backup's snapshot and its log space");
            LunTableDescriptor.Content stored = storedTable(n);
            assertEquals(snap, stored.backupDisk());
            assertEquals(log, stored.backupLogDisk(), "the log disk is recorded beside the snapshot disk");
            n.ctl.diskTarget().close();
            n.ctl.cache().close();   // a "crash": the controller is not closed, its backup not ended
            n.open();
            assertEquals(1, n.trees.disks().size(), "the stale backup snapshot and log were deleted at open");
            assertEquals(List.of(), n.ctl.quarantine(), "no orphan left to quarantine");
            assertEquals(-1, n.ctl.backupEngine().activeSnapshotDisk());
            assertEquals(-1, storedTable(n).backupDisk());
            assertEquals(-1, storedTable(n).backupLogDisk());
            assertTrue(n.runNoUa(n.nexus(Nsc.HOST), 0, c, null, 0).good(), "a new backup can be initiated");
        }
    }

    /** What the controller of {@code n} has stored in its LUN table file (read, not opened). */
    private static LunTableDescriptor.Content storedTable(Nsc n) throws Exception {
        return LunTableDescriptor.decode(Files.readAllBytes(n.config().stateDirectory().resolve(FileLunStore.FILE_NAME)));
    }

    @Test
    void shouldRefuseADamagedTableAndLeaveItUntouched() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "table-bad");
        LunTable t = FileLunStore.open(dir);
        t.create("a", LunRecord.Kind.PRIMARY, 7, 1 << 20);
        Path f = dir.resolve(FileLunStore.FILE_NAME);
        byte[] good = Files.readAllBytes(f);
        byte[] bad = good.clone();
        bad[bad.length - 12] ^= 0x40;
        Files.write(f, bad);
        assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class, () -> FileLunStore.open(dir)).code());
        assertArrayEquals(bad, Files.readAllBytes(f), "left untouched");
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 5));
        assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class, () -> FileLunStore.open(dir)).code());
        Files.write(f, good);
        LunTable again = FileLunStore.open(dir);
        assertEquals("a", again.byId(0).name());
        assertEquals(2, again.generation(), "failed opens do not bump the generation");
    }

    @Test
    void shouldRoundTripTheDescriptor() {
        LunTableDescriptor.Content c = new LunTableDescriptor.Content(5,
                List.of(new LunRecord(0, "a", LunRecord.Kind.PRIMARY, 0x1234L, 9, 4096),
                        new LunRecord(2, "log \u00e9", LunRecord.Kind.LOG, -5L, -1, 1 << 20)),
                List.of(new Presentation("*", 0, 0), new Presentation("iqn.x", 16383, 2)),
                List.of(new SnapshotRecord("s", 0, 11, (5L << 32) | 3, true, 1700000000000L)), 42, 43);
        assertEquals(c, LunTableDescriptor.decode(LunTableDescriptor.encode(c)));
    }

    private static final String V1_HEX = "45564c554e54424c01000000980000003bce1e4c0000000005000000000000000200000000000000003412000000000000090000000000000000100000000000000100610200000001fbffffffffffffffffffffffffffffff000010000000000003006c6f6702000000000000000000000001002a0200000007000000050069716e2e780100000000000000010b0000000000000003000000050000000068e5cf8b0100000100732a00000000000000";

    private static final String V2_HEX = "45564c554e54424c02000000bb0000008e7d3ae90000000005000000000000000200000000000000003412000000000000090000000000000000100000000000000100610200000001fbffffffffffffffffffffffffffffff000010000000000003006c6f6703000000000000000000000001002a0200000007000000050069716e2e780100000008000000050069716e2e780100000000000000010b0000000000000003000000050000000068e5cf8b01000001000000785600000000000000100000000000000100732a00000000000000";

    /** Written by the descriptor when version 3 (the backup's log disk) went to disk (2026-12-07). */
    private static final String V3_HEX = "45564c554e54424c03000000c3000000e1242ec40000000005000000000000000200000000000000003412000000000000090000000000000000100000000000000100610200000001fbffffffffffffffffffffffffffffff000010000000000003006c6f6703000000000000000000000001002a0200000007000000050069716e2e780100000008000000050069716e2e780100000000000000010b0000000000000003000000050000000068e5cf8b01000001000000785600000000000000100000000000000100732a000000000000002b00000000000000";

    /** The content of both golden files (version 2 had no log disk: it decodes as -1). */
    private static LunTableDescriptor.Content golden(long backupLogDisk) {
        return new LunTableDescriptor.Content(5,
                List.of(new LunRecord(0, "a", LunRecord.Kind.PRIMARY, 0x1234L, 9, 4096),
                        new LunRecord(2, "log", LunRecord.Kind.LOG, -5L, -1, 1 << 20)),
                List.of(new Presentation("*", 0, 0), new Presentation("iqn.x", 7, 2), new Presentation("iqn.x", 8, 1)),
                List.of(new SnapshotRecord("s", 0, 11, (5L << 32) | 3, true, 1700000000000L, 1, 0x5678L, 4096)), 42,
                backupLogDisk);
    }

    @Test
    void shouldKeepTheVersion3Layout() {
        LunTableDescriptor.Content c = golden(43);
        assertEquals(V3_HEX, java.util.HexFormat.of().formatHex(LunTableDescriptor.encode(c)));
        assertEquals(c, LunTableDescriptor.decode(java.util.HexFormat.of().parseHex(V3_HEX)));
    }

    /** A version-2 table (written before the backup's log disk was recorded) decodes; opening it stores version 3. */
    @Test
    void shouldStillDecodeAndUpgradeVersion2Tables() throws Exception {
        byte[] v2 = java.util.HexFormat.of().parseHex(V2_HEX);
        assertEquals(golden(-1), LunTableDescriptor.decode(v2), "no log disk in version 2");
        Path dir = Files.createTempDirectory(Path.of("target"), "v2-table");
        Files.write(dir.resolve("luns.tbl"), v2);
        LunTable t = FileLunStore.open(dir);
        assertEquals(42, t.backupSnapshotDisk());
        assertEquals(-1, t.backupLogDisk());
        byte[] stored = Files.readAllBytes(dir.resolve("luns.tbl"));
        assertEquals(LunTableDescriptor.VERSION, java.nio.ByteBuffer.wrap(stored)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(LunTableDescriptor.VERSION_OFFSET));
        LunTableDescriptor.Content upgraded = LunTableDescriptor.decode(stored);
        assertEquals(new LunTableDescriptor.Content(6, golden(-1).luns(), golden(-1).presentations(),
                golden(-1).snapshots(), 42, -1), upgraded, "the same content, one generation on");
    }

    @Test
    void shouldRefuseEveryBitFlipOfTheVersion3Layout() {
        byte[] good = java.util.HexFormat.of().parseHex(V3_HEX);
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit >>> 3] ^= (byte) (1 << (bit & 7));
            int flipped = bit;
            StorageException e = assertThrows(StorageException.class, () -> LunTableDescriptor.decode(bad),
                    "flip of bit " + flipped + " (byte " + (flipped >>> 3) + ") went unnoticed");
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code(), e.getMessage());
        }
    }

    @Test
    void shouldNameTheReservedFieldAndTrailingBytesItRefuses() {
        byte[] good = java.util.HexFormat.of().parseHex(V3_HEX);
        byte[] reserved = good.clone();
        reserved[LunTableDescriptor.RESERVED_OFFSET] = 1;
        assertTrue(assertThrows(StorageException.class, () -> LunTableDescriptor.decode(reserved)).getMessage()
                .contains("reserved"));
        // a version-2 header over a version-3 body (checksum and length right): 8 bytes too many
        byte[] asV2 = good.clone();
        java.nio.ByteBuffer.wrap(asV2).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(LunTableDescriptor.VERSION_OFFSET, LunTableDescriptor.VERSION_2);
        String m = assertThrows(StorageException.class, () -> LunTableDescriptor.decode(asV2)).getMessage();
        assertTrue(m.contains("version 2 has 8 bytes after its backupDisk"), m);
    }

    /** A version-1 table (written before snapshots had unit ids) decodes; opening it assigns ids and stores version 2. */
    @Test
    void shouldStillDecodeAndUpgradeVersion1Tables() throws Exception {
        byte[] v1 = java.util.HexFormat.of().parseHex(V1_HEX);
        LunTableDescriptor.Content c = LunTableDescriptor.decode(v1);
        assertEquals(List.of(new SnapshotRecord("s", 0, 11, (5L << 32) | 3, true, 1700000000000L)), c.snapshots());
        assertEquals(List.of(new LunRecord(0, "a", LunRecord.Kind.PRIMARY, 0x1234L, 9, 4096),
                new LunRecord(2, "log", LunRecord.Kind.LOG, -5L, -1, 1 << 20)), c.luns());
        Path dir = Files.createTempDirectory(Path.of("target"), "v1-table");
        Files.write(dir.resolve("luns.tbl"), v1);
        LunTable t = FileLunStore.open(dir);
        SnapshotRecord s = t.snapshotByName("s");
        assertEquals(LunTable.FIRST_SNAPSHOT_ID, s.id(), "the lowest snapshot id");
        assertEquals(4096, s.sizeBytes(), "its source's size");
        assertEquals(11, s.disk());
        LunTableDescriptor.Content stored = LunTableDescriptor.decode(Files.readAllBytes(dir.resolve("luns.tbl")));
        assertEquals(LunTableDescriptor.VERSION, java.nio.ByteBuffer.wrap(Files.readAllBytes(dir.resolve("luns.tbl")))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(LunTableDescriptor.VERSION_OFFSET));
        assertEquals(List.of(s), stored.snapshots());
        LunTable again = FileLunStore.open(dir);
        assertEquals(s, again.snapshotByName("s"), "the identity is kept from then on");
        assertEquals(1, again.create("b", LunRecord.Kind.PRIMARY, 12, 4096).id(), "ids 0 and 2 are LUNs; snapshots take none below "
                + LunTable.FIRST_SNAPSHOT_ID);
    }

    /** Seed 003's LOP copy names LUNs by system drive 0..7 (their ids): snapshots must not use up those ids. */
    @Test
    void shouldGiveNewLunsTheLowIdsHoweverManySnapshotsExist() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "ids");
        LunTable t = FileLunStore.open(dir);
        LunRecord a = t.create("a", LunRecord.Kind.PRIMARY, 1, 4096);
        for (int i = 0; i < 20; i++) {
            SnapshotRecord s = t.addSnapshot(new SnapshotRecord("s" + i, a.id(), 100 + i, i + 1L, false, 1L));
            assertEquals(LunTable.FIRST_SNAPSHOT_ID + i, s.id());
        }
        for (int i = 1; i <= 7; i++) {
            assertEquals(i, t.create("l" + i, LunRecord.Kind.PRIMARY, 10 + i, 4096).id(), "system drive " + i);
        }
        t.removeSnapshot("s3");
        assertEquals(LunTable.FIRST_SNAPSHOT_ID + 3, t.addSnapshot(new SnapshotRecord("again", a.id(), 200, 99L, false, 1L)).id(),
                "a freed snapshot id is reused");
    }
}
