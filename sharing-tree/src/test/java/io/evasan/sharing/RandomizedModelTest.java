package io.evasan.sharing;

import io.evasan.sharing.spi.impl.MemorySegmentMaps;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded randomized test against a model in which every disk is a full byte array: random writes
 * to any disk, snapshots, snapclones (both modes), BGCOPY steps, deletes (every option), rollbacks
 * and bad input; after every step every disk must read exactly its model.
 *
 * <p>Longer runs: {@code -Devasan.steps=1000000 -Devasan.seed=N}.
 */
class RandomizedModelTest {
    private static final int SEG = 2048;

    @Test
    void shouldMatchByteArrayModelOverManySteps() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 10_000);
        System.out.println("RandomizedModelTest seed=" + seed);
        ModelRun run = new ModelRun(seed, new MemorySegmentMaps(SEG, 100_000), false, 16);
        run.run(steps);
        System.out.println("snapclones taken while another of their tree was copying: " + run.twoClonesCopying);
        if (steps >= 2000) {
            assertTrue(run.twoClonesCopying > 0, "no two snapclones copied at once in one tree (seed " + seed + ")");
        }
    }

    @Test
    void shouldKeepOriginWorkingWhenOnDemandSnapshotsRunOutOfSpace() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 10_000) / 4;
        System.out.println("RandomizedModelTest (tight space) seed=" + seed);
        new ModelRun(seed, new MemorySegmentMaps(SEG, 60), true, 8).run(steps);
    }

}
