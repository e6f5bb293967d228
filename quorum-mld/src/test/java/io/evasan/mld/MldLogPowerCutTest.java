package io.evasan.mld;

import io.evasan.raid.Pool;
import io.evasan.raid.Pools;
import io.evasan.raid.powercut.PowerCut;
import io.evasan.raid.powercut.PowerCutError;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The MLD's log and compaction against an in-memory model, through repeated power cuts on the same
 * quorum areas ({@code PowerCutDrive}s: unforced writes dropped, torn or reordered; seeded, the base
 * seed printed). Each cycle reopens, checks the state is exactly the last acknowledged generation
 * or the interrupted one, then runs small commits (appended records, with a compaction every few
 * dozen) until a cut at a random I/O. Replay: {@code -Devasan.seed=S -Devasan.powercut.iterations=N}.
 */
class MldLogPowerCutTest {
    @TempDir
    Path tmp;

    private static MldBatch randomBatch(Random r, TreeMap<String, byte[]> state) {
        MldBatch b = new MldBatch();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            String key = "k" + r.nextInt(80);
            if (state.containsKey(key) && r.nextInt(3) == 0) {
                b.remove("lun", key);
            } else {
                byte[] v = new byte[r.nextInt(10) == 0 ? 700 + r.nextInt(1500) : r.nextInt(300)];
                r.nextBytes(v);
                b.put("lun", key, v);
            }
        }
        return b;
    }

    @Test
    void shouldMatchTheModelThroughRepeatedPowerCutsDuringAppendsAndCompactions() {
        long base = PowerCut.baseSeed("MldLogPowerCutTest");
        int cycles = PowerCut.iterations(10);
        Path dir = tmp.resolve("pool");
        Map<Long, TreeMap<String, byte[]>> states = new HashMap<>();
        states.put(0L, new TreeMap<>());
        long acknowledged = 0;
        for (int cycle = 0; cycle <= cycles; cycle++) {
            long seed = base + cycle;
            PowerCut pc = new PowerCut(seed);
            Random r = pc.random();
            String what = "base seed " + base + " cycle " + cycle + " (seed " + seed + "), last acknowledged generation "
                    + acknowledged;
            Pool pool = cycle == 0 ? Pools.create(dir, MldPowerCutTest.spec(), new SimpleMeterRegistry(), pc.poolIo())
                    : Pools.open(dir, new SimpleMeterRegistry(), pc.poolIo());
            try {
                if (cycle == 0) {
                    pool.diskGroup(0).flush();
                }
                Mld m;
                try {
                    m = Mlds.open(pool.quorumAreas(), MldOptions.defaults());
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ": the MLD refuses to open after a power cut: " + e.getMessage(), e);
                }
                long g = m.generation();
                assertTrue(g == acknowledged || g == acknowledged + 1, what + ": reopened at generation " + g);
                String diff = MldPowerCutTest.same(states.get(g), m);
                if (diff != null) {
                    fail(what + ": generation " + g + " reopened with other contents: " + diff);
                }
                states.keySet().removeIf(k -> k > g);
                acknowledged = g;
                if (cycle == cycles) {
                    break;
                }
                pc.cutAfter(1 + r.nextInt(600));
                for (int i = 0; i < 10_000; i++) {
                    MldBatch b = randomBatch(r, states.get(acknowledged));
                    states.put(acknowledged + 1, MldPowerCutTest.apply(states.get(acknowledged), b));
                    m.commit(b);
                    acknowledged = m.generation();
                }
                fail(what + ": the cut never came");
            } catch (PowerCutError e) {
                System.out.println("[powercut]   cycle " + cycle + ": " + e.getMessage());
            } finally {
                pc.cut();
            }
        }
        System.out.println("MLD log power-cut test passed: base seed " + base + ", " + cycles + " cuts, generation "
                + acknowledged);
    }
}
