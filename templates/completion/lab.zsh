#compdef lab
# zsh completion for lab. Install one of:
#   lab completion zsh > "${fpath[1]}/_lab"        (then start a new shell)
#   echo 'source <(lab completion zsh)' >> ~/.zshrc (after compinit)
# On each Tab, `lab __complete` answers from the CLI's own definition: candidates, one per
# line, or a directive for zsh to complete paths itself (:files:EXT,EXT or :dirs).
_lab() {
  local -a answer
  answer=("${(@f)$(lab __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case ${answer[1]} in
    :files:)
      _files
      ;;
    :files:*)
      local exts=${answer[1]#:files:}
      _files -g "*.(${exts//,/|})"
      ;;
    :dirs)
      _files -/
      ;;
    *)
      compadd -- ${answer:#}
      ;;
  esac
}
if [[ ${zsh_eval_context[-1]-} == loadautofunc ]]; then
  _lab "$@"
else
  compdef _lab lab
fi
