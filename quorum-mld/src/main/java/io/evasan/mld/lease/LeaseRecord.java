package io.evasan.mld.lease;

/**
 * One lease block's contents (see {@link LeaseDescriptor}): what controller {@code writer} last
 * wrote into its own lease slot.
 *
 * <p>Invariants: {@code writer} is a controller id in {@code [0, MAX_CONTROLLERS)}; {@code owner}
 * is {@code writer} (a claim or renewal of generation {@code generation}) or {@link #NONE} (a
 * release, or nothing held); {@code counter} grows by one with every block {@code writer} writes
 * (renewal, claim or release), so of two valid blocks of the same writer the higher counter is the
 * newer; {@code generation} grows with every change of owner; {@code durationMillis > 0}.
 */
public record LeaseRecord(int writer, int owner, long generation, long counter, long durationMillis) {
    /** Owner value of a released lease. */
    public static final int NONE = -1;

    public LeaseRecord {
        if (writer < 0 || writer >= LeaseDescriptor.MAX_CONTROLLERS) {
            throw new IllegalArgumentException("controller id out of range: " + writer);
        }
        if (owner != NONE && owner != writer) {
            throw new IllegalArgumentException("controller " + name(writer) + " can only claim for itself, not " + name(owner));
        }
        if (generation < 0 || counter < 0 || durationMillis <= 0) {
            throw new IllegalArgumentException("generation, counter >= 0 and duration > 0: " + generation + ", "
                    + counter + ", " + durationMillis);
        }
    }

    /** True when this block claims (holds) its generation. */
    public boolean claims() {
        return owner != NONE;
    }

    /** "A" for 0, "B" for 1 (the EVA's names), then "C", "D"; "none" for {@link #NONE}. */
    public static String name(int controller) {
        return controller == NONE ? "none" : String.valueOf((char) ('A' + controller));
    }

    @Override
    public String toString() {
        return "lease[writer " + name(writer) + ", owner " + name(owner) + ", generation " + generation + ", counter "
                + counter + ", " + durationMillis + " ms]";
    }
}
