package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.evasan.raid.RaidTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded randomized model test per RAID level: random reads and writes of random sizes and
 * offsets against a byte-array model, healthy, with one failed drive, and after rebuild.
 * Reproduce with -Devasan.seed=N; lengthen with -Devasan.steps=N (default 250 per phase).
 */
class RStoreModelTest {
    @TempDir
    Path dir;

    private long seed;
    private int step;
    private String phase;

    private static final int STORES = 3;

    @ParameterizedTest
    @EnumSource(RaidLevel.class)
    void shouldMatchModelHealthyDegradedAndRebuilt(RaidLevel level) throws Exception {
        seed = RaidTestSupport.seed();
        System.out.println("RStoreModelTest " + level + " seed=" + seed);
        int steps = RaidTestSupport.steps(250);
        Random rnd = new Random(seed);
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(12, 96 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            List<RStore> stores = new ArrayList<>();
            List<byte[]> models = new ArrayList<>();
            for (int i = 0; i < STORES; i++) {
                stores.add(g.allocate(level));
                models.add(new byte[(int) RStore.SIZE_BYTES]);
            }
            try {
                phase = "healthy";
                run(rnd, g, stores, models, steps, -1);
                check(g, stores, models, true);

                // fail a drive holding member 0 of the first RStore
                int victim = g.rsd(stores.get(0).rsdId()).drive(0);
                g.failDrive(victim);
                phase = "degraded (drive " + victim + " failed)";
                run(rnd, g, stores, models, steps, victim);
                if (level != RaidLevel.RAID0) {
                    check(g, stores, models, false);
                    assertTrue(g.stats().degradedReads(level) > 0, "degraded reads counted");
                }

                Rebuild rb = g.rebuild();
                assertTrue(rb.await(60, TimeUnit.SECONDS), "rebuild finished");
                if (level == RaidLevel.RAID0) {
                    assertEquals(rb.unrecoverable().size() > 0, anyOn(g, stores, victim), "RAID0 reported unrecoverable");
                } else {
                    assertEquals(List.of(), rb.unrecoverable(), "nothing unrecoverable");
                    assertEquals(rb.total(), rb.done(), "rebuild progress complete");
                    for (RStore s : stores) {
                        assertEquals(-1, g.rsd(s.rsdId()).memberOnDrive(victim), "no member left on failed drive");
                    }
                }
                phase = "after rebuild";
                run(rnd, g, stores, models, steps, level == RaidLevel.RAID0 ? victim : -1);
                if (level != RaidLevel.RAID0) {
                    check(g, stores, models, true);
                }

                // re-add the failed drive: its old members are released (redundant) or back (RAID0)
                Rebuild back = g.restoreDrive(victim);
                assertTrue(back.await(60, TimeUnit.SECONDS));
                phase = "after re-add";
                run(rnd, g, stores, models, steps / 2, -1);
                check(g, stores, models, true);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed=" + seed + " phase=" + phase + " step=" + step + ": " + e.getMessage(), e);
            }
        }
    }

    private static boolean anyOn(DiskGroup g, List<RStore> stores, int drive) {
        for (RStore s : stores) {
            if (g.rsd(s.rsdId()).memberOnDrive(drive) >= 0) {
                return true;
            }
        }
        return false;
    }

    private void check(DiskGroup g, List<RStore> stores, List<byte[]> models, boolean redundancy) {
        for (int i = 0; i < stores.size(); i++) {
            RaidTestSupport.assertSame(models.get(i), stores.get(i), phase + " RStore " + stores.get(i).rsdId());
            if (redundancy) {
                RaidTestSupport.checkRedundancy(g, stores.get(i).rsdId());
            }
        }
    }

    private void run(Random rnd, DiskGroup g, List<RStore> stores, List<byte[]> models, int steps, int lostDrive) {
        for (step = 0; step < steps; step++) {
            int which = rnd.nextInt(stores.size());
            RStore s = stores.get(which);
            byte[] model = models.get(which);
            int len = randomLength(rnd);
            long offset = (long) rnd.nextInt((int) ((RStore.SIZE_BYTES - len) / 512 + 1)) * 512;
            if (rnd.nextInt(4) == 0) {
                offset = offset / (256 * 1024) * (256 * 1024); // favour stripe-aligned
                len = (int) Math.min(len, RStore.SIZE_BYTES - offset);
            }
            Rsd r = g.rsd(s.rsdId());
            int lostMember = lostDrive < 0 ? -1 : r.memberOnDrive(lostDrive);
            boolean raid0Lost = s.level() == RaidLevel.RAID0 && lostMember >= 0
                    && RaidTestSupport.touchesMember(r, offset, len, lostMember);
            if (rnd.nextBoolean()) {
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                try {
                    s.write(offset, ByteBuffer.wrap(data));
                    if (raid0Lost) {
                        fail("RAID0 write touching the lost member succeeded");
                    }
                    System.arraycopy(data, 0, model, (int) offset, len);
                } catch (StorageException e) {
                    if (!raid0Lost || e.code() != ErrorCode.WRITE_FAULT) {
                        throw e;
                    }
                }
            } else {
                ByteBuffer b = rnd.nextBoolean() ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len);
                try {
                    s.read(offset, b);
                    if (raid0Lost) {
                        fail("RAID0 read touching the lost member returned data");
                    }
                    assertEquals(len, b.position());
                    byte[] got = new byte[len];
                    b.flip().get(got);
                    if (!Arrays.equals(got, Arrays.copyOfRange(model, (int) offset, (int) offset + len))) {
                        int i = Arrays.mismatch(got, Arrays.copyOfRange(model, (int) offset, (int) offset + len));
                        fail("read of " + len + " at " + offset + " differs from model at +" + i);
                    }
                } catch (StorageException e) {
                    if (!raid0Lost || e.code() != ErrorCode.UNRECOVERABLE_READ) {
                        throw e;
                    }
                }
            }
        }
    }

    private static int randomLength(Random rnd) {
        switch (rnd.nextInt(5)) {
            case 0:
                return 512 * (1 + rnd.nextInt(16));
            case 1:
                return 4096 * (1 + rnd.nextInt(32));
            case 2:
                return 512 * (1 + rnd.nextInt(1024));
            case 3:
                return 256 * 1024 * (1 + rnd.nextInt(4));
            default:
                return 512 * (1 + rnd.nextInt(4096));
        }
    }
}
