package io.evasan.raid.drive;

import java.util.UUID;

/**
 * Decoded drive label (layout in {@link DriveLabelDescriptor}). Immutable; a change is a new
 * label with a higher generation.
 */
public record DriveLabel(long generation, UUID poolId, UUID driveId, int groupId, String groupName,
                         int memberIndex, int rssId, int rssSlot, long capacity, int psegCount, int flags) {

    public DriveLabel withRss(int newRssId, int newSlot) {
        return new DriveLabel(generation + 1, poolId, driveId, groupId, groupName, memberIndex, newRssId,
                newSlot, capacity, psegCount, flags);
    }

    public DriveLabel removed() {
        return new DriveLabel(generation + 1, poolId, driveId, groupId, groupName, memberIndex, -1, -1,
                capacity, psegCount, flags | DriveLabelDescriptor.FLAG_REMOVED);
    }

    public boolean isRemoved() {
        return (flags & DriveLabelDescriptor.FLAG_REMOVED) != 0;
    }

    /** Byte offset of PSEG {@code pseg} on this drive. */
    public long psegOffset(int pseg) {
        return DriveLabelDescriptor.dataOffset(psegCount) + (long) pseg * DriveLabelDescriptor.PSEG_BYTES;
    }
}
