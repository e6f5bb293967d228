package io.evasan.scsi.alua;

import java.util.List;

/**
 * One target port group (SPC-4 5.15.2.2): its TARGET PORT GROUP identifier and the relative
 * target port identifiers of its ports. In a controller pair, one group per controller.
 *
 * <p>Invariant: the id is 0..FFFFh, there are 1..255 ports (the descriptor's TARGET PORT COUNT
 * is one byte), each 1..FFFFh and distinct; the list is immutable.
 */
public record TargetPortGroup(int id, List<Integer> relativeTargetPorts) {
    public TargetPortGroup {
        if (id < 0 || id > 0xFFFF) {
            throw new IllegalArgumentException("target port group " + id);
        }
        relativeTargetPorts = List.copyOf(relativeTargetPorts);
        if (relativeTargetPorts.isEmpty() || relativeTargetPorts.size() > 255
                || relativeTargetPorts.stream().distinct().count() != relativeTargetPorts.size()) {
            throw new IllegalArgumentException("target port group " + id + " ports " + relativeTargetPorts);
        }
        for (int p : relativeTargetPorts) {
            if (p < 1 || p > 0xFFFF) {
                throw new IllegalArgumentException("relative target port " + p);
            }
        }
    }

    /** A group of the given ports. */
    public static TargetPortGroup of(int id, Integer... relativeTargetPorts) {
        return new TargetPortGroup(id, List.of(relativeTargetPorts));
    }
}
