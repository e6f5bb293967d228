package io.evasan.raid;

import java.util.ArrayList;
import java.util.List;

/** What {@link Pools#create} builds: the disk groups and their drives. */
public record PoolSpec(List<GroupSpec> groups) {
    public static final long GIB = 1L << 30;

    public PoolSpec {
        groups = List.copyOf(groups);
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one disk group");
        }
    }

    /**
     * The embedded default: one disk group "dg0" of 12 sparse files under
     * {@code <dir>/drives/}: eight of 8 GiB (d00..d07) and four of 16 GiB (d08..d11).
     */
    public static PoolSpec embeddedDefault() {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            d.add(DriveSpec.file(String.format("drives/d%02d.img", i), (i < 8 ? 8 : 16) * GIB));
        }
        return new PoolSpec(List.of(new GroupSpec("dg0", d)));
    }

    /** One group named {@code name} of {@code count} sparse files {@code drives/dNN.img} of {@code size} bytes. */
    public static PoolSpec uniform(String name, int count, long size) {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            d.add(DriveSpec.file(String.format("drives/d%02d.img", i), size));
        }
        return new PoolSpec(List.of(new GroupSpec(name, d)));
    }
}
