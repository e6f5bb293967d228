package io.evasan.raid;

import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.RStoreImpl;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Child JVM of {@link WriteHoleTest}, run with
 * {@code -Devasan.raid.test.haltAfterDegradedMemberWrites=1}: creates a pool, fills one RAID5
 * RStore with data(id, 0, 8 MB), fails the drive of data column 1 and writes one extent of row
 * {@link #ROW} while degraded. The crash hook halts the JVM right after the first in-place
 * member write of that write, before parity is written. Prints "RSD id", "LOST drive", "BEGIN
 * offset length" before the write, and "DONE" only if the write returned (the hook did not fire).
 * Modes: {@code rmw} writes inside column 0 only (read-modify-write, the lost member untouched);
 * {@code rcw} writes the second half of column 0 and the first half of column 1 (reconstruct-write,
 * the lost member touched).
 */
public final class WriteHoleChild {
    static final int ROW = 5;
    static final long NEW_SEED = 424242L;

    private WriteHoleChild() {
    }

    static long offset(String mode) {
        long row = (long) ROW * 4 * RStoreImpl.UNIT;
        return mode.equals("rmw") ? row + 4096 : row + RStoreImpl.UNIT / 2;
    }

    static int length(String mode) {
        return mode.equals("rmw") ? 8192 : RStoreImpl.UNIT;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String mode = args[1];
        Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 << 20));
        DiskGroup g = pool.diskGroup(0);
        RStore s = g.allocate(RaidLevel.RAID5);
        s.write(0, ByteBuffer.wrap(KillChild.data(s.rsdId(), 0, (int) RStore.SIZE_BYTES)));
        Rsd r = g.rsd(s.rsdId());
        int p = r.parityMember();
        int lostSlot = 1 < p ? 1 : 2;
        int lostDrive = r.drive(lostSlot);
        System.out.println("RSD " + s.rsdId());
        System.out.println("LOST " + lostDrive);
        System.out.flush();
        g.failDrive(lostDrive);
        long off = offset(mode);
        int len = length(mode);
        System.out.println("BEGIN " + off + " " + len);
        System.out.flush();
        s.write(off, ByteBuffer.wrap(KillChild.data(NEW_SEED, off, len)));
        System.out.println("DONE");
        System.out.flush();
        pool.close();
    }
}
