package io.evasan.fabric.link;

/**
 * A point-to-point link between end {@link #a()} and end {@link #b()} with injectable faults per
 * direction. Invariants: {@link #down()} makes both ends see {@link LinkEnd.Receiver#linkDown()}
 * once and lose every frame until {@link #up()}, after which both see {@link
 * LinkEnd.Receiver#linkUp()} once; a link starts up.
 */
public interface Link extends AutoCloseable {

    enum Direction { A_TO_B, B_TO_A }

    LinkEnd a();

    LinkEnd b();

    LinkFaults faults(Direction d);

    /** Takes the link down (cable pulled); a no-op when already down. */
    void down();

    /** Brings the link back up; a no-op when already up. */
    void up();

    @Override
    void close();
}
