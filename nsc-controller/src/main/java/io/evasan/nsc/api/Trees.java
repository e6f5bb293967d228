package io.evasan.nsc.api;

import java.util.List;

/** Facts of the sharing trees that the management views show. */
public interface Trees {
    /** Bytes per tree segment. */
    int segmentBytes();

    /** The disk group holding tree disk {@code disk}. */
    int diskGroupOf(long disk);

    /** Every disk of the tree holding {@code disk}, oldest first. */
    List<TreeDiskView> describe(long disk);
}
