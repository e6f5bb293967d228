package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import static io.evasan.raid.RaidTestSupport.MIB;
import static io.evasan.raid.RaidTestSupport.info;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DiskGroup#beginMove}: copy under host writes, check-and-set commit, release, abandon, bad input. */
class MemberMoveTest {
    @TempDir
    Path dir;

    private static void write(RStore s, byte[] model, Random rnd) {
        int sectors = 1 + rnd.nextInt(300);
        long first = rnd.nextInt((int) (RStore.SIZE_BYTES / 512) - sectors);
        byte[] b = new byte[sectors * 512];
        rnd.nextBytes(b);
        s.write(first * 512, ByteBuffer.wrap(b));
        System.arraycopy(b, 0, model, (int) (first * 512), b.length);
    }

    private static int driveOutside(DiskGroup g, Rsd r) {
        for (int d = 0; d < g.drives().size(); d++) {
            if (r.memberOnDrive(d) < 0) {
                return d;
            }
        }
        throw new AssertionError("no drive outside " + r);
    }

    @Test
    void shouldMoveAMemberWhileTheHostWritesAndSurviveReopen() {
        Random rnd = new Random(7);
        byte[] model = new byte[(int) RStore.SIZE_BYTES];
        long id;
        int target;
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 64 * MIB))) {
            DiskGroup g = pool.diskGroups().get(0);
            RStore s = g.allocate(RaidLevel.RAID5);
            id = s.rsdId();
            for (int i = 0; i < 20; i++) {
                write(s, model, rnd);
            }
            Rsd before = g.rsd(id);
            int source = before.drive(2);
            target = driveOutside(g, before);
            int usedSource = info(g, source).usedPsegs();
            int usedTarget = info(g, target).usedPsegs();
            try (MemberMove mv = g.beginMove(id, 1 << 2, new int[] {target})) {
                assertEquals(usedTarget + 1, info(g, target).usedPsegs(), "target reserved");
                long bytes = 0;
                long b;
                while ((b = mv.copyNextRow()) > 0) {
                    bytes += b;
                    write(s, model, rnd); // host writes to copied and uncopied rows alike
                }
                assertEquals(0, b);
                assertEquals(2 * MIB, bytes);
                assertEquals(MemberMove.Commit.COMMITTED, mv.commit(before.generation()));
                mv.releaseSources();
            }
            Rsd after = g.rsd(id);
            assertEquals(before.generation() + 1, after.generation());
            assertEquals(target, after.drive(2));
            assertEquals(usedSource - 1, info(g, source).usedPsegs());
            assertEquals(usedTarget + 1, info(g, target).usedPsegs());
            RaidTestSupport.assertSame(model, s, "after the move");
            RaidTestSupport.checkRedundancy(g, id);
        }
        try (Pool pool = Pools.open(dir)) {
            DiskGroup g = pool.diskGroups().get(0);
            assertEquals(target, g.rsd(id).drive(2));
            RaidTestSupport.assertSame(model, g.rstore(id), "after reopen");
        }
    }

    @Test
    void shouldReportAConflictWhenTheRsdChangedAndCommitOnRetry() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(12, 64 * MIB))) {
            DiskGroup g = pool.diskGroups().get(0);
            RStore s = g.allocate(RaidLevel.RAID1);
            Rsd before = g.rsd(s.rsdId());
            int[] slots = g.rssSlots().get(0);
            int a = -1;
            int b = -1;
            for (int k = 0; k < 6 && a < 0; k++) {
                if (before.memberOnDrive(slots[2 * k]) < 0 && before.memberOnDrive(slots[2 * k + 1]) < 0) {
                    a = slots[2 * k];
                    b = slots[2 * k + 1];
                }
            }
            byte[] model = new byte[(int) RStore.SIZE_BYTES];
            Random rnd = new Random(3);
            try (MemberMove mv = g.beginMove(s.rsdId(), 0b11, new int[] {a, b})) {
                while (mv.copyNextRow() > 0) {
                    write(s, model, rnd);
                }
                g.failDrive(before.drive(2)); // the next write to pair 1 marks member 2 stale: generation + 1
                byte[] d = new byte[512];
                rnd.nextBytes(d);
                s.write(64 * 1024, ByteBuffer.wrap(d));
                System.arraycopy(d, 0, model, 64 * 1024, 512);
                long now = g.rsd(s.rsdId()).generation();
                assertTrue(now > before.generation());
                assertEquals(MemberMove.Commit.CONFLICT, mv.commit(before.generation()));
                assertEquals(now, g.rsd(s.rsdId()).generation(), "a conflict changes nothing");
                assertEquals(MemberMove.Commit.COMMITTED, mv.commit(now));
                mv.releaseSources();
            }
            Rsd after = g.rsd(s.rsdId());
            assertEquals(a, after.drive(0));
            assertEquals(b, after.drive(1));
            assertTrue(after.isStale(2), "the other pair's stale member stays stale");
            RaidTestSupport.assertSame(model, s, "after the retried commit");
        }
    }

    @Test
    void shouldAbandonCleanlyWhenTheRStoreIsFreedAndReleaseTheTarget() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 64 * MIB))) {
            DiskGroup g = pool.diskGroups().get(0);
            RStore s = g.allocate(RaidLevel.RAID0);
            long free = g.freePsegs();
            MemberMove mv = g.beginMove(s.rsdId(), 1, new int[] {driveOutside(g, g.rsd(s.rsdId()))});
            assertEquals(free - 1, g.freePsegs());
            mv.copyNextRow();
            g.free(s.rsdId());
            assertEquals(-1, mv.copyNextRow());
            assertEquals(MemberMove.Commit.ABANDONED, mv.commit(1));
            mv.close();
            assertEquals(free + 4, g.freePsegs(), "the target and the freed RStore's PSEGs are free again");
        }
    }

    @Test
    void shouldRefuseBadTargetsNamingTheFieldAndReserveNothing() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 64 * MIB))) {
            DiskGroup g = pool.diskGroups().get(0);
            RStore s = g.allocate(RaidLevel.RAID5);
            Rsd r = g.rsd(s.rsdId());
            long free = g.freePsegs();
            StorageException e = assertThrows(StorageException.class,
                    () -> g.beginMove(s.rsdId(), 1, new int[] {r.drive(1)}));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("targetDrives[0]"), e.getMessage());
            e = assertThrows(StorageException.class, () -> g.beginMove(s.rsdId(), 1 << 5, new int[] {0}));
            assertTrue(e.getMessage().contains("mask"), e.getMessage());
            e = assertThrows(StorageException.class, () -> g.beginMove(s.rsdId(), 0b11, new int[] {0}));
            assertTrue(e.getMessage().contains("targetDrives"), e.getMessage());
            int out = driveOutside(g, r);
            try (MemberMove mv = g.beginMove(s.rsdId(), 1, new int[] {out})) {
                e = assertThrows(StorageException.class, () -> g.beginMove(s.rsdId(), 2, new int[] {out}));
                assertEquals(ErrorCode.BUSY, e.code());
                assertEquals(free - 1, g.freePsegs());
                e = assertThrows(StorageException.class, () -> mv.commit(r.generation()));
                assertEquals(ErrorCode.INVALID_STATE, e.code(), "commit before the copy is refused");
            }
            assertEquals(free, g.freePsegs());
            assertEquals(r, g.rsd(s.rsdId()));
        }
    }

    @Test
    void shouldKeepARaid0WriteThatWasInFlightWhenTheMoveBeganAndCopiedItsRow() throws Exception {
        GateDrive.Gate gate = new GateDrive.Gate();
        PoolIo pio = new PoolIo(gate.opener(), io.evasan.raid.io.ChannelOpener.DEFAULT);
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 64 * MIB),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), pio)) {
            DiskGroup g = pool.diskGroups().get(0);
            RStore s = g.allocate(RaidLevel.RAID0);
            Rsd r = g.rsd(s.rsdId());
            long at = 8L << 20; // first data byte of member 0 is virtual offset 0; find its drive position
            for (io.evasan.raid.drive.DriveInfo d : g.drives()) {
                if (d.index() == r.drive(0)) {
                    at = io.evasan.raid.drive.DriveLabelDescriptor.dataOffset(d.psegCount())
                            + (long) r.pseg(0) * io.evasan.raid.drive.DriveLabelDescriptor.PSEG_BYTES;
                }
            }
            gate.arm(r.drive(0), at);
            byte[] data = new byte[4096];
            java.util.Arrays.fill(data, (byte) 0x5A);
            Thread writer = new Thread(() -> s.write(0, ByteBuffer.wrap(data)));
            writer.start();
            gate.reached.await(); // the write saw no move and is about to reach member 0
            try (MemberMove mv = g.beginMove(s.rsdId(), 1, new int[] {driveOutside(g, r)})) {
                while (mv.copyNextRow() > 0) {
                    // row 0 is copied without the write
                }
                gate.open.countDown();
                writer.join();
                assertEquals(MemberMove.Commit.COMMITTED, mv.commit(g.rsd(s.rsdId()).generation()));
                mv.releaseSources();
            }
            ByteBuffer back = ByteBuffer.allocate(4096);
            s.read(0, back);
            org.junit.jupiter.api.Assertions.assertArrayEquals(data, back.array(), "the in-flight write reached the new member");
        }
    }

    @Test
    void shouldAbandonAMoveThatARebuildDisplaced() throws Exception {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 64 * MIB))) {
            DiskGroup g = pool.diskGroups().get(0);
            RStore s = g.allocate(RaidLevel.RAID5);
            Rsd r = g.rsd(s.rsdId());
            byte[] model = new byte[(int) RStore.SIZE_BYTES];
            write(s, model, new Random(1));
            try (MemberMove mv = g.beginMove(s.rsdId(), 1, new int[] {driveOutside(g, r)})) {
                mv.copyNextRow();
                g.failDrive(r.drive(3));
                Rebuild job = g.rebuild();
                job.await();
                assertEquals(0, job.unrecoverable().size());
                while (mv.copyNextRow() > 0) {
                    // copy the rest, if it still may
                }
                assertEquals(MemberMove.Commit.ABANDONED, mv.commit(g.rsd(s.rsdId()).generation()));
            }
            assertEquals(r.drive(0), g.rsd(s.rsdId()).drive(0));
            RaidTestSupport.assertSame(model, s, "after the rebuild");
        }
    }
}
