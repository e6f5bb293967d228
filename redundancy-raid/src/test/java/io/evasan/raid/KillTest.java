package io.evasan.raid;

import io.evasan.raid.impl.PoolImpl;
import io.evasan.raid.rstore.RStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 a child JVM in the middle of allocating and writing; after reopen every
 * acknowledged allocation and write is there, and after the unclean-shutdown resync every
 * RAID5 stripe and RAID1 pair is consistent. Rounds: -Devasan.killRounds (default 2).
 */
class KillTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryAcknowledgedWriteAcrossKill9() throws Exception {
        int rounds = Integer.getInteger("evasan.killRounds", 2);
        long seed = RaidTestSupport.seed();
        System.out.println("KillTest seed=" + seed);
        List<long[]> acks = new ArrayList<>();
        Set<Long> allocs = new HashSet<>();
        for (int round = 0; round < rounds; round++) {
            int target = 150 + (int) ((seed + round) % 300);
            int[] seen = {0};
            try (ChildJvm child = ChildJvm.of(KillChild.class).heap("256m")
                    .args(dir.toString(), Long.toString(seed + round)).start()) {
                child.follow(line -> {
                    String[] f = line.split(" ");
                    if (f[0].equals("ALLOC")) {
                        allocs.add(Long.parseLong(f[1]));
                    } else if (f[0].equals("ACK")) {
                        acks.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])});
                        if (++seen[0] == target) {
                            child.kill9();   // every line written before the kill is still followed
                        }
                    }
                });
            }
            assertTrue(seen[0] >= target, "child made progress: " + seen[0] + " acks in round " + round);
            verify(acks, allocs, "round " + round + " seed=" + seed);
        }
    }

    /** kill -9 while a drive is failed, writes run degraded and a rebuild is moving members. */
    @Test
    void shouldKeepEveryAcknowledgedWriteWhenKilledDuringRebuild() throws Exception {
        long seed = RaidTestSupport.seed();
        System.out.println("KillTest rebuild seed=" + seed);
        java.util.Map<Long, byte[]> models = new java.util.LinkedHashMap<>();
        long[][] pending = {null};
        int[] acks = {0};
        int target = (int) (Math.abs(seed) % 80); // small: the kill lands while the rebuild is moving members
        try (ChildJvm child = ChildJvm.of(KillChild.class).heap("512m")
                .args(dir.toString(), Long.toString(seed), "rebuild").start()) {
            child.follow(line -> {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "FILL" -> models.put(Long.parseLong(f[1]),
                            KillChild.data(Long.parseLong(f[1]), 0, (int) RStore.SIZE_BYTES));
                    case "REBUILD" -> {
                        if (target == 0) {
                            child.kill9();
                        }
                    }
                    case "BEGIN" -> pending[0] = new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]),
                        Long.parseLong(f[3]), Long.parseLong(f[4])};
                    case "ACK" -> {
                        long[] w = pending[0];
                        byte[] d = KillChild.data(w[0] * 7919 + w[3], w[1], (int) w[2]);
                        System.arraycopy(d, 0, models.get(w[0]), (int) w[1], d.length);
                        pending[0] = null;
                        if (++acks[0] == target && target > 0) {
                            child.kill9();
                        }
                    }
                    default -> { }
                }
            });
        }
        assertTrue(acks[0] >= target, "child made progress: " + acks[0]);
        long[] inFlightWrite = pending[0];
        try (Pool pool = Pools.open(dir)) {
            DiskGroup g = pool.diskGroup(0);
            System.out.println("killed after " + acks[0] + " acks; reopened:");
            for (long id : g.rsdIds()) {
                System.out.println("  " + g.rsd(id));
            }
            for (int round = 0; round < 2; round++) {
                for (var e : models.entrySet()) {
                    byte[] got = new byte[(int) RStore.SIZE_BYTES];
                    RaidTestSupport.readAll(g.rstore(e.getKey()), got);
                    byte[] exp = e.getValue();
                    for (int sec = 0; sec < got.length / 512; sec++) {
                        int o = sec * 512;
                        if (java.util.Arrays.equals(got, o, o + 512, exp, o, o + 512)) {
                            continue;
                        }
                        long[] w = inFlightWrite;
                        boolean inFlight = w != null && w[0] == e.getKey() && o >= w[1] && o < w[1] + w[2];
                        if (inFlight) {
                            byte[] d = KillChild.data(w[0] * 7919 + w[3], w[1], (int) w[2]);
                            if (java.util.Arrays.equals(got, o, o + 512, d, (int) (o - w[1]), (int) (o - w[1]) + 512)) {
                                continue; // the unacknowledged write in flight reached this sector
                            }
                        }
                        throw new AssertionError("seed=" + seed + " round " + round + ": RSD " + e.getKey() + " sector " + sec
                                + " holds neither the acknowledged data nor the write in flight");
                    }
                }
                if (round == 0) {
                    assertTrue(((io.evasan.raid.impl.DiskGroupImpl) g).resync().await(60, TimeUnit.SECONDS));
                    Rebuild rb = g.rebuild();
                    assertTrue(rb.await(60, TimeUnit.SECONDS));
                    assertTrue(rb.unrecoverable().isEmpty(), "seed=" + seed + " " + rb.unrecoverable());
                }
            }
            for (long id : g.rsdIds()) {
                assertTrue(g.rsd(id).staleMask() == 0);
                RaidTestSupport.checkRedundancy(g, id);
            }
            PlacementTest.checkInvariants(g, false);
        }
    }

    private void verify(List<long[]> acks, Set<Long> allocs, String what) throws Exception {
        try (Pool pool = Pools.open(dir)) {
            assertTrue(((PoolImpl) pool).wasUnclean(), "kill -9 left no clean marker");
            DiskGroup g = pool.diskGroup(0);
            for (long id : allocs) {
                g.rstore(id); // acknowledged allocation survived
            }
            for (long[] a : acks) {
                RStore s = g.rstore(a[0]);
                ByteBuffer b = ByteBuffer.allocate((int) a[2]);
                s.read(a[1], b);
                assertArrayEquals(KillChild.data(a[0], a[1], (int) a[2]), b.array(),
                        what + ": acknowledged write RSD " + a[0] + " @" + a[1] + " len " + a[2]);
            }
            Rebuild resync = ((io.evasan.raid.impl.DiskGroupImpl) g).resync();
            assertTrue(resync.await(60, TimeUnit.SECONDS));
            assertTrue(resync.unrecoverable().isEmpty());
            for (long id : g.rsdIds()) {
                RaidTestSupport.checkRedundancy(g, id);
            }
            PlacementTest.checkInvariants(g, true);
        }
    }
}
