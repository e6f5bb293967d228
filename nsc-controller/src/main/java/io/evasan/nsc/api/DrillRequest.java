package io.evasan.nsc.api;

/**
 * What a drill is asked to do. {@code kind}: {@code kill}, {@code hang}, {@code partition} or {@code pull-drive};
 * {@code target}: the controller a kill or hang stops (ignored by a partition and a drive pull); {@code verify}: run
 * the drill's own verifier (a scratch LUN written with self-describing patterns through the fault, read back
 * after); {@code group} / {@code index}: the drive a {@code pull-drive} drill pulls (-1 for the other kinds);
 * {@code force}: pull even a drive that holds the last redundancy of an RStore.
 */
public record DrillRequest(String kind, NscId target, boolean verify, int group, int index, boolean force) {
    /** The {@code pull-drive} kind's name. */
    public static final String PULL_DRIVE = "pull-drive";

    /** A controller drill ({@code kill}, {@code hang}, {@code partition}). */
    public static DrillRequest of(String kind, NscId target, boolean verify) {
        return new DrillRequest(kind, target, verify, -1, -1, false);
    }

    /** A drive-pull drill. */
    public static DrillRequest pullDrive(int group, int index, boolean verify, boolean force) {
        return new DrillRequest(PULL_DRIVE, null, verify, group, index, force);
    }
}
