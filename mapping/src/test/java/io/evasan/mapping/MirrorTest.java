package io.evasan.mapping;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mapping.impl.MappingImpl;
import io.evasan.mapping.support.TestPools;
import io.evasan.mld.MldBlockDescriptor;
import io.evasan.raid.Pool;
import io.evasan.raid.drive.QuorumArea;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Torn or corrupt metadata is detected and the good mirror used: the MLD on the pool's quorum
 * areas (one copy corrupt; all but one corrupt) and the PLDMC log's two files.
 */
class MirrorTest {
    static final long MB = 1 << 20;
    @TempDir
    Path dir;

    Pool pool() {
        return TestPools.openOrCreate(dir.resolve("pool"), 2, 64);
    }

    Mapping open(Pool p) {
        return Mappings.open(p, dir.resolve("state"), MappingOptions.defaults());
    }

    static ByteBuffer fill(int v) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) v);
        return ByteBuffer.wrap(b);
    }

    void populate() {
        try (Pool p = pool(); Mapping m = open(p)) {
            for (int i = 0; i < 4; i++) {
                LogicalDisk d = m.create("lun" + i, 32 * MB, RaidLevel.values()[i % 3], i % 2);
                d.write(i * MB, fill(i + 1));
            }
        }
    }

    void assertIntact(Mapping m) {
        assertEquals(4, m.list().size());
        for (int i = 0; i < 4; i++) {
            LogicalDisk d = m.disk("lun" + i);
            ByteBuffer b = ByteBuffer.allocate(4096);
            d.read(i * MB, b);
            assertArrayEquals(fill(i + 1).array(), b.array(), "lun" + i);
        }
    }

    /** Garbage over both slots' headers and payload starts of one MLD copy. */
    static void corruptMld(QuorumArea a) {
        byte[] g = new byte[1024];
        Arrays.fill(g, (byte) 0x6B);
        long slot = MldBlockDescriptor.slotSize(a.sizeBytes());
        a.write(0, ByteBuffer.wrap(g));
        a.write(slot, ByteBuffer.wrap(g));
        a.force();
    }

    @Test
    void shouldOpenWithOneMldCopyCorrupt() {
        populate();
        try (Pool p = pool()) {
            corruptMld(MappingImpl.spreadOverGroups(p).get(0));
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertIntact(m);
            assertEquals(3, m.mld().goodCopies(), "the damaged copy is rewritten from a good one at open");
            assertEquals(2, m.mld().openReport().size(), "both slots: " + m.mld().openReport());
            m.create("after", MB, RaidLevel.RAID0);
            assertEquals(3, m.mld().goodCopies());
        }
    }

    /** Issue 11 #7: one byte of the newest MLD generation flipped on all three copies. */
    @Test
    void shouldRefuseToOpenOnARolledBackMldUnlessTheOperatorAcceptsIt() {
        populate();
        long gen;
        try (Pool p = pool(); Mapping m = open(p)) {
            m.create("lun201", MB, RaidLevel.RAID5); // the REST call that answered 201
            gen = m.mld().generation();
        }
        try (Pool p = pool()) {
            List<QuorumArea> copies = MappingImpl.spreadOverGroups(p);
            for (int i = 0; i < 3; i++) {
                QuorumArea a = copies.get(i);
                long off = MldBlockDescriptor.slotOffset(a.sizeBytes(), MldBlockDescriptor.slotOf(gen));
                ByteBuffer sector = ByteBuffer.allocate(512);
                a.read(off, sector);
                sector.put(70, (byte) ~sector.get(70)).clear();
                a.write(off, sector);
                a.force();
            }
        }
        try (Pool p = pool()) {
            StorageException e = assertThrows(StorageException.class, () -> open(p));
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
            assertTrue(e.getMessage().contains("MLD generation " + gen + " was committed and acknowledged"), e.getMessage());
            assertTrue(e.getMessage().contains("--mld-accept-rollback " + (gen - 1)), e.getMessage());
        }
        try (Pool p = pool(); Mapping m = Mappings.open(p, dir.resolve("state"),
                MappingOptions.defaults().withMldAcceptRollbackTo(gen - 1))) {
            assertEquals(gen - 1, m.mld().generation());
            assertTrue(m.mld().openReport().get(0).contains("MLD rollback ACCEPTED"), m.mld().openReport().toString());
            assertIntact(m);
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertIntact(m); // later starts need no option
        }
    }

    @Test
    void shouldOpenWithAllButOneMldCopyCorrupt() {
        populate();
        try (Pool p = pool()) {
            List<QuorumArea> copies = MappingImpl.spreadOverGroups(p);
            corruptMld(copies.get(0));
            corruptMld(copies.get(2));
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertIntact(m);
            assertEquals(3, m.mld().goodCopies(), "rewritten from the surviving copy at open");
        }
    }

    @Test
    void shouldSpreadMldCopiesOverDiskGroups() {
        try (Pool p = pool()) {
            List<QuorumArea> order = MappingImpl.spreadOverGroups(p);
            assertEquals(p.quorumAreas().size(), order.size());
            java.util.Set<java.util.UUID> g0 = new java.util.HashSet<>();
            try {
                p.diskGroup(0).drives().forEach(d -> g0.add(d.driveId()));
            } catch (UnsupportedOperationException e) {
                return; // file double: no drive list
            }
            assertNotEquals(g0.contains(order.get(0).driveId()), g0.contains(order.get(1).driveId()),
                    "first two copies in different groups");
        }
    }

    @Test
    void shouldReportCorruptMetadataWhenNoMldCopyIsValid() {
        populate();
        try (Pool p = pool()) {
            for (QuorumArea a : p.quorumAreas()) {
                corruptMld(a);
            }
        }
        try (Pool p = pool()) {
            StorageException e = assertThrows(StorageException.class, () -> open(p));
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        }
    }

    Path current(char copy) throws IOException {
        try (var s = Files.list(dir.resolve("state"))) {
            return s.filter(f -> f.getFileName().toString().endsWith("." + copy)).findFirst().orElseThrow();
        }
    }

    static void scribble(Path f, long off, int len) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(off);
            byte[] g = new byte[len];
            Arrays.fill(g, (byte) 0x3C);
            r.write(g);
        }
    }

    @Test
    void shouldUseTheGoodPldmcCopyRecordByRecord() throws IOException {
        populate();
        Path a = current('a');
        Path b = current('b');
        long size = Files.size(a);
        assertEquals(size, Files.size(b));
        scribble(a, size - 40, 8);   // last record damaged in copy a
        scribble(b, 64 + 10, 8);     // first record damaged in copy b
        try (Pool p = pool(); Mapping m = open(p)) {
            assertIntact(m);
        }
        // the damaged copies were rewritten at open: each may now be damaged alone again
        scribble(current('a'), 70, 4);
        try (Pool p = pool(); Mapping m = open(p)) {
            assertIntact(m);
        }
    }

    @Test
    void shouldRefuseToOpenWhenTheSameRecordIsDamagedInBothCopies() throws IOException {
        populate();
        // inside the ops of the second-to-last record (length field intact), same bytes in both copies
        java.util.List<Long> starts = new java.util.ArrayList<>();
        ByteBuffer f = ByteBuffer.wrap(Files.readAllBytes(current('a'))).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int pos = 64; pos < f.limit(); pos += f.getInt(pos)) {
            starts.add((long) pos);
        }
        assertTrue(starts.size() >= 3, "records: " + starts);
        long victim = starts.get(starts.size() - 2);
        scribble(current('a'), victim + 21, 4);
        scribble(current('b'), victim + 21, 4);
        try (Pool p = pool()) {
            StorageException e = assertThrows(StorageException.class, () -> open(p));
            assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
            assertTrue(e.getMessage().contains("damaged in both copies"), e.getMessage());
        }
    }

    @Test
    void shouldIgnoreATornTailInBothCopies() throws IOException {
        populate();
        for (char c : new char[] {'a', 'b'}) {
            try (RandomAccessFile r = new RandomAccessFile(current(c).toFile(), "rw")) {
                r.seek(r.length());
                r.write(new byte[] {40, 0, 0, 0, 1, 0, 0, 0, 99, 99}); // a record cut short by a crash
            }
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertIntact(m);
            m.disk("lun0").write(8 * MB, fill(8)); // appends after the valid end
        }
        try (Pool p = pool(); Mapping m = open(p)) {
            assertIntact(m);
            ByteBuffer bb = ByteBuffer.allocate(4096);
            m.disk("lun0").read(8 * MB, bb);
            assertArrayEquals(fill(8).array(), bb.array());
        }
    }
}
