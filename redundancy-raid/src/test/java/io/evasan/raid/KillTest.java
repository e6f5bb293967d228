package io.evasan.raid;

import io.evasan.raid.impl.PoolImpl;
import io.evasan.raid.rstore.RStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), KillChild.class.getName(), dir.toString(),
                    Long.toString(seed + round))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            int target = 150 + (int) ((seed + round) % 300);
            int seen = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String[] f = line.split(" ");
                    if (f[0].equals("ALLOC")) {
                        allocs.add(Long.parseLong(f[1]));
                    } else if (f[0].equals("ACK")) {
                        acks.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])});
                        if (++seen == target) {
                            // SIGKILL from outside (Process.destroyForcibly would also close our pipe)
                            new ProcessBuilder("kill", "-9", Long.toString(p.pid())).start().waitFor();
                        }
                    }
                }
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertTrue(seen >= target, "child made progress: " + seen + " acks in round " + round);
            verify(acks, allocs, "round " + round + " seed=" + seed);
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
