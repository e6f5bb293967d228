package io.evasan.nsc.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Disk groups and their drives. Reads are views taken at the call; commands throw
 * {@code io.evasan.error.StorageException} with the RAID layer's codes and change nothing when they do.
 */
public interface Drives {
    /** The pool's id. */
    String poolId();

    /** The pool directory (drive file paths are relative to it). */
    Path poolDirectory();

    /** Every disk group, in the pool's order. */
    List<DiskGroupView> diskGroups();

    /** The disk group with this id, if any. */
    Optional<DiskGroupView> diskGroup(int id);

    /** Adds a file drive to group {@code group}; returns the drive as it now is. */
    DriveView addDrive(int group, DriveFile drive);

    /** Creates a disk group of these file drives; returns it. */
    DiskGroupView createDiskGroup(String name, List<DriveFile> drives);

    /** Removes (evacuates) drive {@code index} of group {@code group}. */
    void removeDrive(int group, int index);

    /** Marks drive {@code index} of group {@code group} failed. */
    void failDrive(int group, int index);

    /**
     * Pulls drive {@code index} of group {@code group} (a drill: its file is closed, its state MISSING, every I/O
     * to it fails as to a drive taken out of the shelf). Refused with INVALID_STATE, nothing changed, when the
     * drive holds a member of an RStore that has no redundancy left (RAID0, or a RAID1 pair or RAID5 stripe
     * already missing a member), unless {@code force}. {@link #restoreDrive} puts it back.
     */
    void pullDrive(int group, int index, boolean force);

    /** Throws what {@link #pullDrive} would refuse with (NOT_FOUND, INVALID_STATE), changing nothing. */
    void checkPull(int group, int index, boolean force);

    /** Restores a FAILED or MISSING drive and starts its rebuild; the rebuild is then the group's latest. */
    RebuildView restoreDrive(int group, int index);

    /** The latest rebuild started through {@link #restoreDrive} in group {@code group}, if any. */
    Optional<RebuildView> rebuild(int group);

    /** The latest leveling job of group {@code group} (running or finished), if one ran since the cell opened. */
    Optional<LevelingView> leveling(int group);

    /**
     * Starts leveling group {@code group} (a drive add starts it by itself); the running job when one runs.
     *
     * @throws io.evasan.error.StorageException NOT_FOUND (no such group)
     */
    LevelingView startLeveling(int group);

    /**
     * Pauses ({@code "pause"}), resumes ({@code "resume"}) or stops ({@code "stop"}: the move in flight is abandoned,
     * its target freed) the running leveling job of group {@code group}.
     *
     * @throws io.evasan.error.StorageException NOT_FOUND (no group or no job), INVALID_STATE (the job has ended),
     *                                          INVALID_ARGUMENT (another action)
     */
    LevelingView controlLeveling(int group, String action);
}
