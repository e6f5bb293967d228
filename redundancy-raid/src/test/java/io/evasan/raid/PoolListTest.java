package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.impl.PoolImpl;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 11 #6: the drive labels are authoritative; pool.list is a hint that is repaired from them. */
class PoolListTest {
    static final long MIB = 1L << 20;
    static final int BYTES = 8 << 20; // many stripes of each RStore
    @TempDir
    Path dir;
    byte[] data;
    long raid0;
    long raid5;
    Path victim; // the drive whose pool.list line is damaged: member 0 of the RAID0 RStore

    void populate() {
        data = new byte[BYTES];
        new Random(11).nextBytes(data);
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 64 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s0 = g.allocate(RaidLevel.RAID0);
            RStore s5 = g.allocate(RaidLevel.RAID5);
            raid0 = s0.rsdId();
            raid5 = s5.rsdId();
            s0.write(0, ByteBuffer.wrap(data));
            s5.write(0, ByteBuffer.wrap(data));
            victim = RaidTestSupport.info(g, g.rsd(raid0).drive(0)).path();
        }
    }

    Path list() {
        return dir.resolve(PoolImpl.LIST_FILE);
    }

    /** Index (0-based) of the drive line naming {@code drive}'s file. */
    int lineOf(List<String> lines, Path drive) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("drive ") && lines.get(i).endsWith(" " + dir.relativize(drive))) {
                return i;
            }
        }
        throw new AssertionError("no line for " + drive + " in " + lines);
    }

    /** Replaces the character at {@code col} of the drive UUID of {@code drive}'s line. Returns the 1-based line number. */
    int changeUuidChar(Path drive, int col, char c) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(list()));
        int i = lineOf(lines, drive);
        String[] f = lines.get(i).split(" ");
        char[] u = f[3].toCharArray();
        assertNotEquals(c, u[col]);
        u[col] = c;
        f[3] = new String(u);
        lines.set(i, String.join(" ", f));
        Files.write(list(), lines);
        return i + 1;
    }

    void assertAllDrivesAndDataThere(Pool pool) {
        DiskGroup g = pool.diskGroup(0);
        assertEquals(8, g.drives().size(), pool.describe());
        assertTrue(g.drives().stream().allMatch(d -> d.state() == DriveState.AVAILABLE), pool.describe());
        assertFalse(pool.describe().contains("problem:"), pool.describe());
        for (long id : new long[] {raid0, raid5}) {
            byte[] got = new byte[BYTES];
            g.rstore(id).read(0, ByteBuffer.wrap(got));
            assertArrayEquals(data, got, "RStore " + id);
        }
    }

    @Test
    void shouldOpenWithEveryDriveWhenOneUuidCharacterOfPoolListIsNoLongerHex() throws IOException {
        populate();
        String before = Files.readString(list());
        int line = changeUuidChar(victim, 3, 'x');
        try (Pool pool = Pools.open(dir)) {
            assertAllDrivesAndDataThere(pool);
            List<String> repairs = ((PoolImpl) pool).repairs();
            assertTrue(repairs.get(0).startsWith(list() + ":" + line + ": bad drive line \""), repairs.toString());
            assertTrue(repairs.get(0).contains("the drive is identified by its label"), repairs.toString());
        }
        assertEquals(before, Files.readString(list()), "pool.list rewritten from the labels");
        assertTrue(Files.exists(dir.resolve("pool.list.bad")));
        try (Pool pool = Pools.open(dir)) {
            assertEquals(List.of(), ((PoolImpl) pool).repairs());
        }
    }

    @Test
    void shouldOpenWithEveryDriveWhenOneHexDigitOfAUuidInPoolListIsChanged() throws IOException {
        populate();
        String before = Files.readString(list());
        List<String> lines = Files.readAllLines(list());
        char old = lines.get(lineOf(lines, victim)).split(" ")[3].charAt(0);
        int line = changeUuidChar(victim, 0, old == 'a' ? 'b' : 'a');
        try (Pool pool = Pools.open(dir)) {
            assertAllDrivesAndDataThere(pool);
            List<String> repairs = ((PoolImpl) pool).repairs();
            assertEquals(1, repairs.size(), repairs.toString());
            assertTrue(repairs.get(0).startsWith(list() + ":" + line + ": line \""), repairs.toString());
            assertTrue(repairs.get(0).contains("the drive's label wins"), repairs.toString());
        }
        assertEquals(before, Files.readString(list()));
    }

    @Test
    void shouldTakeThePoolUuidFromTheLabelsWhenThePoolLineIsDamaged() throws IOException {
        populate();
        String before = Files.readString(list());
        Files.writeString(list(), before.replaceFirst("\npool ([0-9a-f]{8})-", "\npool $1_"));
        try (Pool pool = Pools.open(dir)) {
            assertAllDrivesAndDataThere(pool);
            assertTrue(((PoolImpl) pool).repairs().get(0).contains(": bad pool line \"pool "), ((PoolImpl) pool).repairs().toString());
        }
        assertEquals(before, Files.readString(list()));
    }

    @Test
    void shouldFindAMovedDriveByItsLabel() throws IOException {
        populate();
        Path moved = victim.resolveSibling("renamed.img");
        Files.move(victim, moved);
        try (Pool pool = Pools.open(dir)) {
            assertAllDrivesAndDataThere(pool);
            assertTrue(((PoolImpl) pool).repairs().get(0).contains("found by its label at " + moved),
                    ((PoolImpl) pool).repairs().toString());
        }
        assertTrue(Files.readString(list()).contains(" drives/renamed.img\n"));
    }

    @Test
    void shouldAnswerAnUnrecoverableLineWithFileLineTextAndFixAndChangeNothing() throws IOException {
        populate();
        List<String> lines = new ArrayList<>(Files.readAllLines(list()));
        int i = lineOf(lines, victim);
        String bad = lines.get(i).replaceFirst("^drive 0 ", "drive 0 q");
        lines.set(i, bad);
        Files.write(list(), lines);
        Files.delete(victim); // the drive is gone too: nothing says which drive the line meant
        byte[] before = Files.readAllBytes(list());
        boolean clean = Files.exists(dir.resolve(PoolImpl.CLEAN_FILE));
        StorageException e = assertThrows(StorageException.class, () -> Pools.open(dir));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        String m = e.getMessage();
        assertTrue(m.startsWith(list() + ":" + (i + 1) + ": bad drive line \"" + bad + "\""), m);
        assertTrue(m.contains("nothing was changed. Fix: restore the line as \"drive <group> <index> <drive uuid>"), m);
        assertArrayEquals(before, Files.readAllBytes(list()));
        assertEquals(clean, Files.exists(dir.resolve(PoolImpl.CLEAN_FILE)));
    }

    @Test
    void shouldAnswerAnUnreadablePoolLineWithoutLabelsPrecisely() throws IOException {
        populate();
        String text = Files.readString(list());
        Files.writeString(list(), text.replaceFirst("\npool ", "\npool zz"));
        try (var st = Files.list(dir.resolve("drives"))) {
            for (Path p : st.toList()) {
                Files.delete(p);
            }
        }
        StorageException e = assertThrows(StorageException.class, () -> Pools.open(dir));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        assertTrue(e.getMessage().matches("\\Q" + list() + "\\E:3: bad pool line \"pool zz.*\" and no drive with a readable"
                + " label at the 8 listed paths to take the pool UUID from; nothing was changed\\. Fix: .*"), e.getMessage());
    }

    @Test
    void shouldRebuildPoolListFromTheLabelsWhenOnlyThePoolLineIsLeft() throws IOException {
        populate();
        String before = Files.readString(list());
        java.util.UUID id = java.util.UUID.fromString(before.lines().filter(l -> l.startsWith("pool ")).findFirst()
                .orElseThrow().substring(5));
        Files.write(list(), new byte[300]); // zeroed: what a torn write of the list may leave
        StorageException e = assertThrows(StorageException.class, () -> Pools.open(dir));
        assertTrue(e.getMessage().contains("replace " + list() + " by the single line \"pool " + id + "\""), e.getMessage());
        Files.writeString(list(), "pool " + id + "\n");
        try (Pool pool = Pools.open(dir)) {
            assertAllDrivesAndDataThere(pool);
        }
        assertEquals(before, Files.readString(list()));
    }

    @Test
    void shouldNameFileLineAndTextForGarbageInsteadOfAStackTrace() throws IOException {
        populate();
        Files.writeString(list(), Files.readString(list()) + "drvie 0 9 oops\n");
        try (Pool pool = Pools.open(dir)) {
            assertAllDrivesAndDataThere(pool);
            assertEquals(List.of(list() + ":" + (Files.readAllLines(dir.resolve("pool.list.bad")).size())
                    + ": unknown line \"drvie 0 9 oops\" (expected pool, group or drive); ignored [pool.list rewritten"
                    + " from the drive labels; the old file is pool.list.bad]"), ((PoolImpl) pool).repairs());
        }
    }

    @Test
    void shouldRewriteADamagedLabelCopyFromTheGoodOne() throws IOException {
        populate();
        byte[] copyB = new byte[512];
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
            f.seek(DriveLabelDescriptor.COPY_B_OFFSET);
            f.readFully(copyB);
            f.seek(DriveLabelDescriptor.COPY_A_OFFSET + 45);
            int b = f.read();
            f.seek(DriveLabelDescriptor.COPY_A_OFFSET + 45);
            f.write(b ^ 0x10); // one bit of the drive UUID in copy A
        }
        try (Pool pool = Pools.open(dir)) {
            assertAllDrivesAndDataThere(pool);
            List<String> r = ((PoolImpl) pool).repairs();
            assertEquals(1, r.size(), r.toString());
            assertTrue(r.get(0).endsWith("(" + victim + "): label copy A was damaged (magic, version or CRC32C fails),"
                    + " rewritten from copy B"), r.toString());
        }
        byte[] copyA = new byte[512];
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "r")) {
            f.seek(DriveLabelDescriptor.COPY_A_OFFSET);
            f.readFully(copyA);
        }
        assertArrayEquals(copyB, copyA);
    }
}
