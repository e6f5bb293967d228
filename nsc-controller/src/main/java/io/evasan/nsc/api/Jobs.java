package io.evasan.nsc.api;

/** Background jobs of the layers below the controller. */
public interface Jobs {
    /**
     * The BGCOPY progress of the snapclone on tree disk {@code disk}.
     *
     * @throws io.evasan.error.StorageException NOT_FOUND when the disk is gone
     */
    BgCopyView bgcopy(long disk);

    /**
     * Pauses the BGCOPY of the snapclone on tree disk {@code disk}: after it returns the copy does not complete (the
     * snapclone is not promoted) until resumed, across a restart; INVALID_STATE when it finished or is finishing.
     */
    void pauseBgcopy(long disk);

    /** Resumes the BGCOPY of the snapclone on tree disk {@code disk}. */
    void resumeBgcopy(long disk);
}
