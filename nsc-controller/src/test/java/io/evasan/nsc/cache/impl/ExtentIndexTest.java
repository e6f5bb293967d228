package io.evasan.nsc.cache.impl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** The treap extent index against a per-sector array model, seeded (prints the seed). */
class ExtentIndexTest {
    @ParameterizedTest
    @ValueSource(longs = {3L, 42L, 20261122L})
    void shouldMatchPerSectorModel(long seedParam) {
        long seed = Long.getLong("evasan.seed", seedParam);
        int steps = Integer.getInteger("evasan.steps", 4000) * 5;
        System.out.println("ExtentIndexTest seed=" + seed + " steps=" + steps);
        Random rnd = new Random(seed);
        int sectors = 300;
        int luns = 3;
        int[][] model = new int[luns][sectors];
        for (int[] m : model) {
            Arrays.fill(m, -1);
        }
        Map<Integer, int[]> live = new HashMap<>(); // slot -> {lun, first, count}
        ExtentIndex idx = new ExtentIndex(4);
        int nextSlot = 0;
        for (int step = 0; step < steps; step++) {
            int op = rnd.nextInt(10);
            int lun = rnd.nextInt(luns) * 1000 - 7; // arbitrary, negative ids too
            int l = (lun + 7) / 1000;
            if (op < 5 || live.isEmpty()) {
                int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 60);
                int first = rnd.nextInt(sectors - n + 1);
                int slot = nextSlot++;
                TreeSet<Integer> expected = new TreeSet<>();
                for (int s = first; s < first + n; s++) {
                    if (model[l][s] >= 0) {
                        expected.add(model[l][s]);
                    }
                    model[l][s] = slot;
                }
                idx.insert(lun, first * 512L, (first + n) * 512L, slot);
                TreeSet<Integer> got = new TreeSet<>();
                for (int i = 0; i < idx.coveredCount(); i++) {
                    got.add(idx.covered()[i]);
                }
                if (!expected.equals(got)) {
                    fail("seed " + seed + " step " + step + ": covered " + got + " expected " + expected);
                }
                live.put(slot, new int[] {l, first, n});
            } else if (op < 8) {
                Integer[] keys = live.keySet().toArray(new Integer[0]);
                Arrays.sort(keys);
                int slot = keys[rnd.nextInt(keys.length)];
                int[] r = live.remove(slot);
                for (int s = r[1]; s < r[1] + r[2]; s++) {
                    if (model[r[0]][s] == slot) {
                        model[r[0]][s] = -1;
                    }
                }
                idx.remove(r[0] * 1000 - 7, r[1] * 512L, (r[1] + r[2]) * 512L, slot);
            } else {
                int n = 1 + rnd.nextInt(100);
                int first = rnd.nextInt(sectors - n + 1);
                idx.lookup(lun, first * 512L, (first + n) * 512L);
                int[] got = new int[n];
                Arrays.fill(got, -1);
                long prevEnd = Long.MIN_VALUE;
                for (int i = 0; i < idx.outCount(); i++) {
                    long a = idx.outStart()[i];
                    long b = idx.outEnd()[i];
                    if (a < prevEnd || a >= b || a < first * 512L || b > (first + n) * 512L) {
                        fail("seed " + seed + " step " + step + ": bad extent [" + a + ", " + b + ")");
                    }
                    prevEnd = b;
                    for (long s = a / 512; s < b / 512; s++) {
                        got[(int) s - first] = idx.outSlot()[i];
                    }
                }
                int[] exp = Arrays.copyOfRange(model[l], first, first + n);
                if (!Arrays.equals(exp, got)) {
                    fail("seed " + seed + " step " + step + ": lookup differs\n got " + Arrays.toString(got)
                            + "\n exp " + Arrays.toString(exp));
                }
            }
        }
        // drain: every slot's extents removed leaves an empty index
        for (Map.Entry<Integer, int[]> e : live.entrySet()) {
            int[] r = e.getValue();
            idx.remove(r[0] * 1000 - 7, r[1] * 512L, (r[1] + r[2]) * 512L, e.getKey());
        }
        assertEquals(0, idx.size(), "seed " + seed + ": nodes leaked");
    }
}
