package io.evasan.raid;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded model test with drills interleaved at random: fail, pull, re-add, rebuild, close and
 * reopen, with at most one drive down at a time, between random reads and writes checked
 * against a byte-array model. Redundancy is checked whenever everything is healthy again.
 * -Devasan.seed=N to reproduce, -Devasan.steps=N (default 400).
 */
class DrillModelTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = RaidLevel.class, names = {"RAID1", "RAID5"})
    void shouldMatchModelThroughRandomDrills(RaidLevel level) throws Exception {
        long seed = RaidTestSupport.seed();
        System.out.println("DrillModelTest " + level + " seed=" + seed);
        int steps = RaidTestSupport.steps(400);
        Random rnd = new Random(seed);
        List<Long> ids = new ArrayList<>();
        List<byte[]> models = new ArrayList<>();
        String last = "";
        int step = 0;
        Pool pool = Pools.create(dir, RaidTestSupport.uniform(12, 80 * MIB));
        try {
            DiskGroup g = pool.diskGroup(0);
            for (int i = 0; i < 4; i++) {
                ids.add(g.allocate(level).rsdId());
                models.add(new byte[(int) RStore.SIZE_BYTES]);
            }
            int down = -1;
            for (step = 0; step < steps; step++) {
                int r = rnd.nextInt(100);
                if (r < 4 && down < 0) {
                    down = rnd.nextInt(12);
                    if (rnd.nextBoolean()) {
                        last = "fail drive " + down;
                        g.failDrive(down);
                    } else {
                        last = "pull drive " + down;
                        g.pullDrive(down);
                    }
                } else if (r < 6 && down >= 0) {
                    last = "re-add drive " + down;
                    assertTrue(g.restoreDrive(down).await(60, TimeUnit.SECONDS));
                    down = -1;
                    checkAll(g, ids, models, true);
                } else if (r < 8 && down >= 0) {
                    last = "rebuild away from drive " + down;
                    Rebuild rb = g.rebuild();
                    assertTrue(rb.await(60, TimeUnit.SECONDS));
                    assertTrue(rb.unrecoverable().isEmpty(), "unrecoverable " + rb.unrecoverable());
                    for (long id : ids) {
                        assertTrue(g.rsd(id).memberOnDrive(down) < 0);
                    }
                    checkAll(g, ids, models, false);
                } else if (r < 11) {
                    int which = rnd.nextInt(ids.size());
                    last = "free RSD " + ids.get(which) + " and allocate another" + (down >= 0 ? " with drive " + down
                            + " down" : "");
                    g.free(ids.get(which));
                    ids.set(which, g.allocate(level).rsdId());
                    models.set(which, new byte[(int) RStore.SIZE_BYTES]);
                    RaidTestSupport.assertSame(models.get(which), g.rstore(ids.get(which)), "fresh RStore reads zeros");
                } else if (r < 12) {
                    last = "close and reopen" + (down >= 0 ? " with drive " + down + " down" : "");
                    pool.close();
                    pool = Pools.open(dir);
                    g = pool.diskGroup(0);
                    // drill states do not persist: the drive is back, its stale members are resynced
                    assertTrue(g.rebuild().await(60, TimeUnit.SECONDS));
                    down = -1;
                    checkAll(g, ids, models, true);
                } else {
                    int which = rnd.nextInt(ids.size());
                    RStore s = g.rstore(ids.get(which));
                    byte[] model = models.get(which);
                    int len = 512 * (1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 1200));
                    long off = 512L * rnd.nextInt((int) ((RStore.SIZE_BYTES - len) / 512 + 1));
                    if (rnd.nextBoolean()) {
                        last = "write " + len + " at " + off + " of RSD " + s.rsdId();
                        byte[] d = new byte[len];
                        rnd.nextBytes(d);
                        s.write(off, ByteBuffer.wrap(d));
                        System.arraycopy(d, 0, model, (int) off, len);
                    } else {
                        last = "read " + len + " at " + off + " of RSD " + s.rsdId();
                        ByteBuffer b = ByteBuffer.allocate(len);
                        s.read(off, b);
                        if (!Arrays.equals(b.array(), Arrays.copyOfRange(model, (int) off, (int) off + len))) {
                            throw new AssertionError("read differs from model");
                        }
                    }
                }
            }
            if (down >= 0) {
                assertTrue(g.restoreDrive(down).await(60, TimeUnit.SECONDS));
            }
            checkAll(g, ids, models, true);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed=" + seed + " step=" + step + " (" + last + "): " + e.getMessage(), e);
        } finally {
            pool.close();
        }
    }

    private static void checkAll(DiskGroup g, List<Long> ids, List<byte[]> models, boolean redundancy) {
        assertTrue(g.rsdIds().equals(ids.stream().sorted().toList()), "live RSDs " + g.rsdIds() + " expected " + ids);
        for (int i = 0; i < ids.size(); i++) {
            RaidTestSupport.assertSame(models.get(i), g.rstore(ids.get(i)), "RSD " + ids.get(i));
            if (redundancy) {
                assertTrue(g.rsd(ids.get(i)).staleMask() == 0, "no stale member left: " + g.rsd(ids.get(i)));
                RaidTestSupport.checkRedundancy(g, ids.get(i));
            }
        }
        PlacementTest.checkInvariants(g, false);
    }
}
