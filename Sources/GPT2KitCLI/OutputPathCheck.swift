#if canImport(Glibc)
import Glibc
#endif

/// Checks on `convert -o OUT` made before any work, so a mistake costs nothing: OUT must not be
/// a directory, its directory must exist, and OUT must not be one of the files being read
/// (renaming the new file over a source mid-way would destroy the model being converted).
/// Files are compared by device and inode, so `./x`, a symlink or a hard link to a source all count.
enum OutputPathCheck {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func check(output: String, sources: [String]) throws {
        var st = stat()
        if stat(output, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw Failure(description: "-o \(output) is a directory\nHINT: give a file name, e.g. -o \(output)/model.gpt2kit")
            }
            for source in sources {
                var s = stat()
                if stat(source, &s) == 0, s.st_dev == st.st_dev, s.st_ino == st.st_ino {
                    throw Failure(description: "-o \(output) is the source file \(source); converting would overwrite the model being read\n"
                                  + "HINT: write the model file under another name")
                }
            }
        }
        let dir = output.lastIndex(of: "/").map { $0 == output.startIndex ? "/" : String(output[..<$0]) } ?? "."
        var d = stat()
        guard stat(dir, &d) == 0 else {
            throw Failure(description: "cannot write -o \(output): directory \(dir): \(errnoText(errno))\nHINT: create the directory first")
        }
        guard (d.st_mode & S_IFMT) == S_IFDIR else {
            throw Failure(description: "cannot write -o \(output): \(dir) is not a directory\nHINT: check the output path")
        }
    }
}
