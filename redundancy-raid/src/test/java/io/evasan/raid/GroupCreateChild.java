package io.evasan.raid;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child JVM of {@link CreateDiskGroupTest}: opens the pool in {@code args[0]} and creates groups
 * {@code g<n>} (6 sparse drives of 64 MiB under {@code g<n>/}) from n = {@code args[1]} on, printing
 * "BEGIN n" before and "DONE n" after each {@link Pool#createDiskGroup}. Runs until killed.
 */
public final class GroupCreateChild {
    private GroupCreateChild() {
    }

    static GroupSpec spec(int n) {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            d.add(DriveSpec.file("g" + n + "/d" + i + ".img", 64L << 20));
        }
        return new GroupSpec("g" + n, d);
    }

    public static void main(String[] args) {
        Pool pool = Pools.open(Path.of(args[0]));
        for (int n = Integer.parseInt(args[1]); ; n++) {
            System.out.println("BEGIN " + n);
            System.out.flush();
            pool.createDiskGroup(spec(n));
            System.out.println("DONE " + n);
            System.out.flush();
        }
    }
}
