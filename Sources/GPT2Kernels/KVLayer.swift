// One layer's keys and values in the layout the attention kernel (Attention.swift) reads.
//
// Head-major, so each head's part of the cache is contiguous:
//   keys:   [NH][tiles][HS][16]  position j, dimension i of head h at
//           ((h * tiles + j / 16) * HS + i) * 16 + j % 16   (tiles = ⌈capacity / 16⌉):
//           16 consecutive positions of one dimension side by side, so a 16-lane load is one
//           dimension of 16 keys;
//   values: [NH][capacity][HS]  position j, dimension i of head h at (h * capacity + j) * HS + i.
// Elements are f32 or f16 (`KVElement`). Appending a position writes HS strided elements of
// keys and one HS-long run of values per head (CKernels/k_attention.h, kv_store_f16, for f16).

/// An element type of a KV cache: f32 or f16 (stored rounded to nearest even).
public protocol KVElement {
    /// The value of the element as f32 (tests, debugging; the kernels convert in bulk).
    var floatValue: Float { get }
}

extension Float: KVElement { public var floatValue: Float { self } }
extension Float16: KVElement { public var floatValue: Float { Float(self) } }

/// A view of one layer's cache memory (not owned: the owner keeps `keys` and `values` alive).
public struct KVLayer<E: KVElement>: @unchecked Sendable {
    /// Keys, `count × heads × headSize` elements, position-major.
    public let keys: UnsafeMutablePointer<E>
    /// Values, laid out as `keys`.
    public let values: UnsafeMutablePointer<E>
    /// Attention heads and the width of each.
    public let heads: Int, headSize: Int
    /// Positions the layer holds.
    public let capacity: Int

    /// Elements of keys and of values for a layer of this shape (keys are padded to whole
    /// 16-position tiles), nil on overflow.
    public static func elementCounts(heads: Int, headSize: Int, capacity: Int) -> (keys: Int, values: Int)? {
        guard heads >= 0, headSize >= 0, capacity >= 0 else { return nil }
        let tiles = capacity / 16 + (capacity % 16 == 0 ? 0 : 1)
        let (hd, o1) = heads.multipliedReportingOverflow(by: headSize)
        let (k0, o2) = hd.multipliedReportingOverflow(by: tiles)
        let (k, o3) = k0.multipliedReportingOverflow(by: 16)
        let (v, o4) = hd.multipliedReportingOverflow(by: capacity)
        return o1 || o2 || o3 || o4 ? nil : (k, v)
    }

    /// keys/values: at least `elementCounts` elements each.
    public init(keys: UnsafeMutablePointer<E>, values: UnsafeMutablePointer<E>, heads: Int, headSize: Int, capacity: Int) {
        require(KVLayer.elementCounts(heads: heads, headSize: headSize, capacity: capacity) != nil,
                "bad KV layer shape \(heads) x \(headSize) x \(capacity)")
        self.keys = keys; self.values = values
        self.heads = heads; self.headSize = headSize; self.capacity = capacity
    }

    var tiles: Int { (capacity + 15) / 16 }

    /// Head h's keys: tiles of [HS][16].
    @inline(__always) func keys(head h: Int) -> UnsafePointer<E> { UnsafePointer(keys + h * tiles * headSize * 16) }
    /// Head h's values: [capacity][HS].
    @inline(__always) func values(head h: Int) -> UnsafePointer<E> { UnsafePointer(values + h * capacity * headSize) }

    /// Stores the key and value rows (C = heads * headSize floats each, heads side by side as
    /// the qkv projection emits them) of `position`; f16 caches round through `kernels`.
    public func store(position j: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, kernels: Kernels) {
        require(j >= 0 && j < capacity, "position \(j) outside the cache's \(capacity)")
        let HS = headSize
        if E.self == Float16.self {
            let kp = UnsafeMutableRawPointer(keys).assumingMemoryBound(to: UInt16.self)
            let vp = UnsafeMutableRawPointer(values).assumingMemoryBound(to: UInt16.self)
            kernels.t.pointee.kv_store_f16(kp, vp, heads, HS, capacity, j, k, v)
            return
        }
        let kf = UnsafeMutableRawPointer(keys).assumingMemoryBound(to: Float.self)
        let vf = UnsafeMutableRawPointer(values).assumingMemoryBound(to: Float.self)
        for h in 0..<heads {
            let kt = kf + ((h * tiles + j / 16) * HS) * 16 + j % 16
            for i in 0..<HS { kt[16 * i] = k[h * HS + i] }
            (vf + (h * capacity + j) * HS).update(from: v + h * HS, count: HS)
        }
    }

    /// Key dimension i of position j in head h, as f32 (tests, debugging).
    public func key(head h: Int, position j: Int, dimension i: Int) -> Float {
        keys(head: h)[(j / 16 * headSize + i) * 16 + j % 16].floatValue
    }

    /// Value dimension i of position j in head h, as f32.
    public func value(head h: Int, position j: Int, dimension i: Int) -> Float {
        values(head: h)[j * headSize + i].floatValue
    }
}
