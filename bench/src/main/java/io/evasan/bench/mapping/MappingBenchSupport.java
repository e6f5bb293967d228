package io.evasan.bench.mapping;

import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A real pool on sparse drives plus a mapping, for the mapping benchmarks. */
final class MappingBenchSupport implements AutoCloseable {
    static final long MB = 1L << 20;
    static final long GB = 1L << 30;
    final Path dir;
    final Pool pool;
    final Mapping mapping;

    /** One disk group of 8 sparse drives big enough for {@code allocatedGb} of RAID0. */
    MappingBenchSupport(long allocatedGb) throws IOException {
        dir = Files.createTempDirectory("evasan-mapping-bench");
        long driveBytes = (allocatedGb * GB) / 8 + allocatedGb * GB / 40 + 256 * MB;
        driveBytes = (driveBytes + MB - 1) / MB * MB;
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), driveBytes));
        }
        pool = Pools.create(dir.resolve("pool"), new PoolSpec(List.of(new GroupSpec("dg0", drives))));
        // fsync off for the set-up only (allocation durability is not what is measured here)
        mapping = Mappings.open(pool, dir.resolve("state"), MappingOptions.defaults().withFsync(false));
    }

    /** Allocates {@code segments} segments of {@code d} from segment 0 by writing one sector into each. */
    static void allocate(LogicalDisk d, long segments) {
        ByteBuffer sector = ByteBuffer.allocateDirect(512);
        for (long s = 0; s < segments; s++) {
            sector.clear();
            sector.putLong(0, s);
            d.write(s * MB, sector);
        }
    }

    @Override
    public void close() throws IOException {
        mapping.close();
        pool.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
