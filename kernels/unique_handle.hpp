#pragma once
// UniqueHandle<Traits>: the one move-only owner of a handle made by a create / destroy pair (CUDA
// streams and events, cuBLAS and cuSOLVER handles and parameter objects; kernels/cuda_raii.hpp).
// No CUDA here, so the ownership rules are tested without a GPU (tests/test_solver_contract.cpp).
//
//   struct Traits {
//     using handle_type = ...;                         // a pointer-like type; handle_type{} is empty
//     static handle_type create(Args...);             // throws on failure
//     static void destroy(handle_type h) noexcept;    // never called with the empty handle
//   };
//
// A default-constructed UniqueHandle is empty; a moved-from one is empty; move assignment destroys
// the target's handle first; each created handle is destroyed exactly once.
#include <utility>

namespace lsgd::cuda {

template <typename Traits>
class UniqueHandle {
 public:
  using handle_type = typename Traits::handle_type;

  UniqueHandle() = default;
  // Takes ownership of h (which may be empty).
  explicit UniqueHandle(handle_type h) noexcept : h_(h) {}
  template <typename... Args>
  static UniqueHandle create(Args&&... args) {
    return UniqueHandle(Traits::create(std::forward<Args>(args)...));
  }

  ~UniqueHandle() { reset(); }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  UniqueHandle(UniqueHandle&& o) noexcept : h_(std::exchange(o.h_, handle_type{})) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, handle_type{});
    }
    return *this;
  }

  handle_type get() const noexcept { return h_; }
  bool empty() const noexcept { return h_ == handle_type{}; }
  // Destroys the handle (if any) and leaves this empty.
  void reset() noexcept {
    if (h_ != handle_type{}) Traits::destroy(h_);
    h_ = handle_type{};
  }

 private:
  handle_type h_{};
};

}  // namespace lsgd::cuda
