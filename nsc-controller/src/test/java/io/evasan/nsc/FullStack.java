package io.evasan.nsc;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's opening sequence over a real pool of small sparse drives: pool -> mapping ->
 * sharing trees (RAID5) -> Controller. Closing goes the other way.
 */
public final class FullStack implements AutoCloseable {
    public final Pool pool;
    public final Mapping mapping;
    public final SharingTreesImpl trees;
    public final Controller ctl;

    public FullStack(Path dir, long destageBytesPerSecond) {
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), 128L << 20));
        }
        pool = Pools.openOrCreate(dir.resolve("pool"), new PoolSpec(List.of(new GroupSpec("dg0", drives))));
        mapping = Mappings.open(pool, dir.resolve("mapping"), MappingOptions.defaults());
        trees = new SharingTreesImpl(new MappingSegmentMaps(mapping, pool, pool.diskGroups().get(0).id(),
                RaidLevel.RAID5, "nsc-"), SharingConfig.defaults().withBackground(false), SharingStats.standalone());
        ctl = Controller.open(new ControllerConfig(dir.resolve("nsc0")).poolIdentity("full-stack").lunCatalog(mapping.mld())
                .cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(16)
                        .destageBytesPerSecond(destageBytesPerSecond)), trees);
    }

    @Override
    public void close() {
        ctl.close();
        trees.close();
        mapping.close();
        pool.close();
    }
}
