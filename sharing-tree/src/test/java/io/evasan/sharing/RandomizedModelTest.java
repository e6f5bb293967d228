package io.evasan.sharing;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
        new ModelRun(seed, new MemorySegmentMaps(SEG, 100_000), false, 16).run(steps);
    }

    @Test
    void shouldKeepOriginWorkingWhenOnDemandSnapshotsRunOutOfSpace() {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int steps = Integer.getInteger("evasan.steps", 10_000) / 4;
        new ModelRun(seed, new MemorySegmentMaps(SEG, 60), true, 8).run(steps);
    }

}
