package io.evasan.mapping.support;

import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pools for tests. {@code -Devasan.pool=file} selects the in-test file-backed double
 * ({@link FilePool}); the default is the real redundancy-raid pool on small sparse drives.
 */
public final class TestPools {
    private TestPools() {
    }

    public static boolean real() {
        return !"file".equals(System.getProperty("evasan.pool", "real"));
    }

    /**
     * Opens, or creates on first use, a pool in {@code dir}: {@code groups} disk groups of 8 sparse
     * drives of {@code driveMb} MB each (real), or the file double with the same number of PSEGs.
     */
    public static Pool openOrCreate(Path dir, int groups, int driveMb) {
        if (!real()) {
            return new FilePool(dir, groups, 8L * driveMb / 2, 4, 8 << 20).asPool();
        }
        List<GroupSpec> gs = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            List<DriveSpec> d = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                d.add(DriveSpec.file(String.format("drives/g%d-d%02d.img", g, i), (long) driveMb << 20));
            }
            gs.add(new GroupSpec("dg" + g, d));
        }
        return Pools.openOrCreate(dir, new PoolSpec(gs));
    }
}
